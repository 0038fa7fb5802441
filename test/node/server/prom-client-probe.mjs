// Child process for the metrics tests: reports whether prom-client was loaded, and with
// `missing` makes it fail to load (as when it is not installed). Prints one JSON line.
import { register } from 'node:module';

const missing = process.argv[2] === 'missing';
const hook = `
export async function resolve(specifier, context, next) {
  if (specifier === 'prom-client') {
    ${missing ? "throw Object.assign(new Error(\"Cannot find package 'prom-client'\"), { code: 'ERR_MODULE_NOT_FOUND' });" : ''}
    globalThis.port?.postMessage('loaded');
  }
  return next(specifier, context);
}
export async function initialize({ port }) { globalThis.port = port; }`;
const { port1, port2 } = new MessageChannel();
let loaded = false;
port1.on('message', () => (loaded = true));
port1.unref();
register(`data:text/javascript,${encodeURIComponent(hook)}`, {
  data: { port: port2 },
  transferList: [port2],
});
const { startHub } = await import('./hub-helpers.mjs');
const { scrape } = await import('./metrics-helpers.mjs');
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
const logged = [];
const plain = await startHub({ logger: { info() {}, warn: (line) => logged.push(line) } });
await plain.hub.publish(['a', 'b'], 1);
await settle();
const withoutMetrics = loaded;
await plain.close();
const h = await startHub({
  metrics: true,
  logger: { info() {}, warn: (line) => logged.push(line) },
});
await h.hub.publish('a', 1);
const m = await scrape(h.url('/metrics'));
await settle();
await h.close();
console.log(
  JSON.stringify({ withoutMetrics, withMetrics: loaded, status: m.status, body: m.text, logged }),
);

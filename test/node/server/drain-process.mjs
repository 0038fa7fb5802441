// One hub process for the drain tests: `node drain-process.mjs <redis-url> [options-json]` prints
// its URL on stdout. `POST /drain?within=ms` starts `hub.drain` and answers once it settled
// (`{ ms }`, how long it took); `GET /arrivals` lists when (Date.now()) each SSE stream and
// WebSocket upgrade arrived here, as this process saw it.
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHub } from '../../../dist/server/index.js';

const [url, extra] = process.argv.slice(2);
const hub = createHub({ redis: url, ...JSON.parse(extra || '{}') });
const arrivals = [];
// How long this process's event loop was held up at worst (a loaded machine): the test allows
// for it, since connections queued meanwhile are accepted together.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path === '/drain' && req.method === 'POST') {
    const within = Number(new URL(req.url, 'http://x').searchParams.get('within'));
    const started = performance.now();
    hub.drain({ within }).then(() => {
      const ms = Math.round(performance.now() - started);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ms }));
    });
    return;
  }
  if (path === '/arrivals') {
    const stalled = Math.round(delay.max / 1e6);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ arrivals, stalled }));
    return;
  }
  if (path.endsWith('/sse')) arrivals.push(Date.now());
  if (!hub.handleRequest(req, res)) res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  arrivals.push(Date.now());
  if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
});
server.listen(0, '127.0.0.1', () =>
  console.log(`listening http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', async () => {
  await hub.close();
  server.closeAllConnections();
  server.close(() => process.exit(0));
});

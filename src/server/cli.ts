#!/usr/bin/env node
/**
 * realtime-elements-server: the hub's endpoints, plus static files (`--static`) or this
 * package's demo pages with their demo-only endpoints (`--demo`), on loopback unless told otherwise. Graceful shutdown on SIGINT/SIGTERM. Logs the
 * hub's operational events (store down/up, epoch changes, refusals) to the console.
 */
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHub } from './hub.js';
import { staticFiles } from './static-files.js';
import { demoEndpoints } from './demo.js';

const name = 'realtime-elements-server';
const usage = `Usage: ${name} [--port 8080] [--host 127.0.0.1] [--static DIR | --demo]
  [--base-path /realtime] [--allowed-origin https://app.example ...] [--redis redis://host:6379]
  [--metrics]

Serves SSE at <base-path>/sse, long-poll at /poll, HTTP publish at /publish, the WebSocket
relay at /ws and a health check at /health (with --metrics, Prometheus metrics at /metrics:
needs the prom-client package), plus the files of --static, or with --demo this
package's demo pages at /demo/ (with a price ticker and a connection cutter that only the demos
use). --port defaults to $PORT, else 8080.`;

/** A usage error: one line on stderr, exit code 2 (as for any command-line misuse). */
function usageError(message: string): never {
  console.error(`${name}: ${message.replace(/\.?$/, '.')} See ${name} --help.`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT || '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      static: { type: 'string' },
      demo: { type: 'boolean', default: false },
      'base-path': { type: 'string', default: '/realtime' },
      'allowed-origin': { type: 'string', multiple: true },
      redis: { type: 'string' },
      metrics: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  // parseArgs' own message names the option ("Unknown option '--prot'…").
  usageError((error as Error).message.split(/\.\s|\n/)[0]!);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  usageError(`--port must be a port number (0–65535), not "${values.port}".`);
}
const basePath = values['base-path'];
if (!/^(\/[\w.~-]+)+$/.test(basePath)) {
  usageError(`--base-path must look like /realtime (no trailing slash), not "${basePath}".`);
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hub = createHub({
  basePath,
  allowedOrigins: values['allowed-origin'],
  redis: values.redis,
  metrics: values.metrics,
  logger: console,
});
if (values.demo && values.static) usageError('--demo and --static cannot be combined');
const demo = values.demo
  ? demoEndpoints(hub, join(packageRoot, 'dist', 'sw-relay-worker.js'))
  : undefined;
const root = values.static ?? (demo ? packageRoot : undefined);
const serveStatic = root ? staticFiles(root) : undefined;

const server = createServer((req, res) => {
  if (hub.handleRequest(req, res)) return demo?.track(res);
  if (demo?.handleRequest(req, res)) return;
  if (demo && (req.url === '/' || req.url === '')) {
    res.writeHead(302, { Location: '/demo/' }).end();
    return;
  }
  if (serveStatic) return void serveStatic(req, res);
  const root = req.url === '/' || req.url === '';
  res.writeHead(root ? 200 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(
    `${root ? '' : 'Not found. '}${name}: SSE at ${basePath}/sse?topic=<name>, long-poll at ` +
      `${basePath}/poll, publish at ${basePath}/publish, WebSocket at ${basePath}/ws, health at ` +
      `${basePath}/health.\n`,
  );
});
server.on('upgrade', (req, socket, head) => {
  if (hub.handleUpgrade(req, socket, head)) demo?.track(socket);
  else socket.destroy();
});

server.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') {
    console.error(
      `${name}: port ${port} on ${values.host} is in use. Stop what uses it, or pick another ` +
        `port: --port <n> (or PORT=<n>).`,
    );
  } else if (error.code === 'EACCES') {
    console.error(`${name}: not allowed to listen on port ${port}: pick one above 1023 (--port).`);
  } else {
    console.error(`${name}: cannot listen on ${values.host}:${port}: ${error.message}`);
  }
  process.exit(1);
});

server.listen(port, values.host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const host = values.host.includes(':') ? `[${values.host}]` : values.host;
  const origin = `http://${host}:${bound}`;
  console.log(
    `${name} listening on ${origin}\n` +
      (values.static ? `  files: ${values.static}\n` : '') +
      (demo ? `  demo pages: ${origin}/demo/\n` : '') +
      `  hub: ${origin}${basePath}/sse?topic=<name> (also /poll, /publish, /ws); health: ${origin}${basePath}/health`,
  );
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    demo?.close();
    await hub.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

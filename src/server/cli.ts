#!/usr/bin/env node
/**
 * realtime-elements-server: the hub's endpoints plus static files (by default this package's
 * demo pages), on loopback unless told otherwise. Graceful shutdown on SIGINT/SIGTERM.
 */
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHub } from './hub.js';
import { staticFiles } from './static-files.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    static: { type: 'string' },
    'base-path': { type: 'string', default: '/realtime' },
    'allowed-origin': { type: 'string', multiple: true },
    redis: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: realtime-elements-server [--port 8080] [--host 127.0.0.1] [--static DIR]
  [--base-path /realtime] [--allowed-origin https://app.example ...] [--redis redis://host:6379]

Serves SSE at <base-path>/sse, long-poll at /poll, HTTP publish at /publish and the WebSocket
relay at /ws, plus the files of --static (default: this package's demo pages).`);
  process.exit(0);
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hub = createHub({
  basePath: values['base-path'],
  allowedOrigins: values['allowed-origin'],
  redis: values.redis,
});
const serveStatic = staticFiles(values.static ?? packageRoot);

const server = createServer((req, res) => {
  if (hub.handleRequest(req, res)) return;
  if (!values.static && (req.url === '/' || req.url === '')) {
    res.writeHead(302, { Location: '/demo/' }).end();
    return;
  }
  void serveStatic(req, res);
});
server.on('upgrade', (req, socket, head) => {
  if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
});

server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : values.port;
  console.log(`realtime-elements hub on http://${values.host}:${port}${values['base-path']}/`);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    await hub.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

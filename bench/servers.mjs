/**
 * The server side of the hub benchmarks, run in its own process (`node bench/servers.mjs
 * <kind>`) so the clients never share its event loop. Kinds: `hub` (realtime-elements/server),
 * `hub-history` (the hub with per-topic history set and filled: 1,000 other topics of 100 kept
 * events each, and the benchmark topic's own 1,000),
 * `raw` (the smallest correct node:http SSE loop), `better-sse`, `bare-ws` (a `ws` server that
 * broadcasts every message to every client). Prints `PORT <n>`; answers:
 *
 * - `POST /__publish?count=N&t=T` — publishes N events `{ i, t }` (SSE kinds);
 * - `GET /__stats` — `{ rss }` in bytes, after a full garbage collection.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const kind = process.argv[2];
const subscribers = new Set();
let publish;
let handle;

if (kind === 'hub' || kind === 'hub-history') {
  const { createHub } = await import('../dist/server/index.js');
  // The per-connection rate limit is a policy, not a capacity: lifted so bursts measure the relay.
  const hub = createHub({
    heartbeatInterval: 60_000,
    rateLimit: 1_000_000,
    ...(kind === 'hub-history'
      ? { history: { default: { limit: 100 }, bench: { limit: 1000 } } }
      : {}),
  });
  if (kind === 'hub-history') {
    for (let topic = 0; topic < 1000; topic++)
      for (let i = 0; i < 100; i++) await hub.publish(`other-${topic}`, { i, pad: 'x'.repeat(64) });
    for (let i = 0; i < 1000; i++) await hub.publish('bench', { i, t: 0 });
  }
  publish = async (data) => void (await hub.publish('bench', data));
  handle = (request, response) => hub.handleRequest(request, response);
  globalThis.upgrade = (request, socket, head) => hub.handleUpgrade(request, socket, head);
} else if (kind === 'raw') {
  publish = (data) => {
    const frame = `data: ${JSON.stringify(data)}\n\n`;
    for (const response of subscribers) response.write(frame);
  };
  handle = (request, response) => {
    if (!request.url.startsWith('/sse')) return false;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    response.write(':ok\n\n');
    subscribers.add(response);
    request.on('close', () => subscribers.delete(response));
    return true;
  };
} else if (kind === 'better-sse') {
  const { createSession, createChannel } = await import('better-sse');
  const channel = createChannel();
  publish = (data) => channel.broadcast(data, 'message');
  handle = (request, response) => {
    if (!request.url.startsWith('/sse')) return false;
    createSession(request, response, { keepAlive: null }).then((session) =>
      channel.register(session),
    );
    return true;
  };
} else if (kind === 'bare-ws') {
  const wss = new WebSocketServer({ noServer: true, clientTracking: true });
  wss.on('connection', (socket) =>
    socket.on('message', (data, isBinary) => {
      for (const client of wss.clients) client.send(data, { binary: isBinary });
    }),
  );
  handle = () => false;
  globalThis.upgrade = (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
} else {
  throw new Error(`unknown kind ${kind}`);
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url, 'http://x');
  if (url.pathname === '/__publish') {
    const count = Number(url.searchParams.get('count'));
    const t = Number(url.searchParams.get('t'));
    for (let i = 0; i < count; i++) await publish({ i, t });
    return response.end('ok');
  }
  if (url.pathname === '/__stats') {
    response.setHeader('content-type', 'application/json');
    // Collected first, so the figure is what the connections hold, not garbage awaiting a GC.
    globalThis.gc?.();
    globalThis.gc?.();
    return response.end(JSON.stringify({ rss: process.memoryUsage().rss }));
  }
  if (!handle(request, response)) response.writeHead(404).end();
});
server.on('upgrade', (request, socket, head) => globalThis.upgrade?.(request, socket, head));
server.maxConnections = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));

/**
 * The demo server: @web/dev-server over the project folder, with the hub (SSE, WebSocket relay,
 * long-poll; in memory) mounted at /realtime. Opens at /demo/.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { startDevServer } from '@web/dev-server';
import { createHub } from '../dist/server/index.js';

/** Publishes a made-up price every second, numbered so the page can show there is no gap. */
function startTicker(hub) {
  let n = 0;
  let price = 100;
  const timer = setInterval(() => {
    price = Math.max(1, price + (Math.random() - 0.5) * 2);
    hub
      .publish('demo-prices', { n: ++n, price: Math.round(price * 100) / 100, at: Date.now() })
      .catch(() => {});
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Fails with a readable `EADDRINUSE` error when `port` is taken: the dev server would otherwise
 * die on an unhandled 'error' event before its caller could catch anything.
 */
async function assertPortFree(port) {
  if (!port) return;
  await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject).listen(port, () => probe.close(resolve));
  }).catch((error) => {
    if (error.code !== 'EADDRINUSE') throw error;
    const busy = new Error(
      `Port ${port} is in use. Stop what uses it, or set PORT to another port, e.g. PORT=${port + 1} npm start`,
    );
    busy.code = 'EADDRINUSE';
    throw busy;
  });
}

export async function startDemoServer({ port = 8000, host = 'localhost' } = {}) {
  await assertPortFree(port);
  const hub = createHub();
  const stopTicker = startTicker(hub);
  // Open hub streams, so the demo's "cut the connection" button can drop them for real.
  const streams = new Set();
  const server = await startDevServer({
    config: {
      rootDir: '.',
      port,
      hostname: host,
      nodeResolve: true,
      appIndex: 'demo/index.html',
      open: false,
      watch: false,
      clearTerminalOnReload: false,
      middleware: [
        // The relay worker self-hosted at the root, so its scope can be the whole site.
        async function relayWorker(context, next) {
          if (context.path !== '/sw-relay-worker.js') return next();
          context.type = 'text/javascript';
          context.set('Cache-Control', 'no-cache');
          context.body = await readFile('dist/sw-relay-worker.js', 'utf8');
        },
        function cutConnections(context, next) {
          if (context.path !== '/demo-api/cut' || context.method !== 'POST') return next();
          const count = streams.size;
          for (const stream of streams) (stream.socket ?? stream).destroy();
          context.body = { cut: count };
        },
        function hubStats(context, next) {
          if (context.path !== '/demo-api/stats') return next();
          context.set('Cache-Control', 'no-store');
          context.body = hub.stats();
        },
        function realtimeHub(context, next) {
          if (!hub.handleRequest(context.req, context.res)) return next();
          context.respond = false;
          streams.add(context.res);
          context.res.on('close', () => streams.delete(context.res));
        },
      ],
    },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
    autoExitProcess: false,
  });
  // The dev server answers upgrades on its own path only; the hub takes /realtime/ws.
  server.server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) return;
    streams.add(socket);
    socket.on('close', () => streams.delete(socket));
  });
  const address = server.server.address();
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/demo/`,
    port: address.port,
    hub,
    async stop() {
      stopTicker();
      await hub.close();
      await server.stop();
    },
  };
}

/**
 * The demo server: @web/dev-server over the project folder, with the hub (SSE, WebSocket relay,
 * long-poll; in memory) mounted at /realtime. Opens at /demo/.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { startDevServer } from '@web/dev-server';
import { createHub } from '../dist/server/index.js';
import { demoEndpoints } from '../dist/server/demo.js';

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

/**
 * Moves `server` (listening on every interface) to 127.0.0.1 on its port, and serves the same
 * requests and upgrades on [::1] from a second server; resolves with that one (or undefined
 * where the machine has no IPv6 loopback).
 */
async function bindLoopback(server) {
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve, reject) =>
    server.once('error', reject).listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    }),
  );
  const v6 = createHttpServer();
  for (const event of ['request', 'upgrade']) {
    for (const listener of server.listeners(event)) v6.on(event, listener);
  }
  return new Promise((resolve) => {
    v6.once('error', () => resolve(undefined)).listen(port, '::1', () => resolve(v6));
  });
}

/**
 * Serves the demo on `host`:`port` (0: a free port). `middleware` (Koa) and `plugins`
 * (@web/dev-server) are added to the dev server's own: the demo test counts requests and
 * records page errors with them.
 */
export async function startDemoServer({
  port = 8000,
  host = 'localhost',
  middleware = [],
  plugins = [],
} = {}) {
  await assertPortFree(port);
  const hub = createHub();
  // The demo-only endpoints (ticker, cutter, stats, the relay worker at the root), as
  // `realtime-elements-server --demo` serves them.
  const demo = demoEndpoints(hub, 'dist/sw-relay-worker.js');
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
      plugins,
      middleware: [
        ...middleware,
        function demoOnly(context, next) {
          if (!demo.handleRequest(context.req, context.res)) return next();
          context.respond = false;
        },
        function realtimeHub(context, next) {
          if (!hub.handleRequest(context.req, context.res)) return next();
          context.respond = false;
          demo.track(context.res);
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
    if (hub.handleUpgrade(req, socket, head)) demo.track(socket);
  });
  // @web/dev-server listens on every interface when asked for `localhost`: the demo stays on
  // loopback, 127.0.0.1 and (where the machine has it) ::1 on the same port.
  const loopbackV6 = host === 'localhost' ? await bindLoopback(server.server) : undefined;
  const address = server.server.address();
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/demo/`,
    port: address.port,
    /** Where it listens: `{ address, family, port }` of each listening socket. */
    addresses: [address, loopbackV6?.address()].filter(Boolean),
    hub,
    async stop() {
      loopbackV6?.close();
      loopbackV6?.closeAllConnections();
      demo.close();
      await hub.close();
      await server.stop();
    },
  };
}

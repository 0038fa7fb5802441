/**
 * The demo server: @web/dev-server over the project folder, with the hub (SSE, WebSocket relay,
 * long-poll; in memory) mounted at /realtime. Opens at /demo/.
 */
import { startDevServer } from '@web/dev-server';
import { createHub } from '../dist/server/index.js';

export async function startDemoServer({ port = 8000, host = 'localhost' } = {}) {
  const hub = createHub();
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
        function realtimeHub(context, next) {
          if (!hub.handleRequest(context.req, context.res)) return next();
          context.respond = false;
        },
      ],
    },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
    autoExitProcess: false,
  });
  // The dev server answers upgrades on its own path only; the hub takes /realtime/ws.
  server.server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  const address = server.server.address();
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}/demo/`,
    port: address.port,
    hub,
    async stop() {
      await hub.close();
      await server.stop();
    },
  };
}

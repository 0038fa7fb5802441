/**
 * Mounts a real hub in the test runner's own server (same origin as the test pages), plus
 * commands to publish from the server side, read its stats and cut its connections.
 */
import { createHub } from '../../dist/server/index.js';

export function hubPlugin(options = {}) {
  const hub = createHub({ keepAliveInterval: 1000, retry: 200, ...options });
  let httpServer;
  return {
    name: 'realtime-hub',
    hub,
    middleware(context, next) {
      if (!hub.handleRequest(context.req, context.res)) return next();
      context.respond = false;
    },
    serverStart({ server }) {
      httpServer = server;
      server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
    },
    async serverStop() {
      await hub.close();
    },
    async executeCommand({ command, payload = {} }) {
      switch (command) {
        case 'hub-publish': {
          const ids = [];
          for (const data of payload.many ?? [payload.data])
            ids.push((await hub.publish(payload.topic, data)).id);
          return ids;
        }
        case 'hub-stats':
          return hub.stats();
        case 'hub-cut': {
          // Drops every open hub connection (SSE, long-poll, WebSocket) from the server side.
          httpServer.closeAllConnections?.();
          return true;
        }
        default:
          return undefined;
      }
    },
  };
}

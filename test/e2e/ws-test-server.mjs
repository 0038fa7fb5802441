/**
 * Plain WebSocket servers for `<socket-relay raw>` tests, on the test runner's own server:
 * /ws-test/echo (echoes every message), /ws-test/silent (accepts, never answers),
 * /ws-test/hang (never completes the upgrade), /ws-test/close?code=N (closes with N).
 * `?key=` groups connections; `ws-test-connections` returns how many a key saw.
 */
import { WebSocketServer } from 'ws';

export function wsTestServer() {
  const server = new WebSocketServer({ noServer: true });
  const connections = new Map();
  const hanging = new Set();
  return {
    name: 'ws-test-server',
    serverStart({ server: http }) {
      http.on('upgrade', (req, socket, head) => {
        const url = new URL(req.url, 'http://x');
        if (!url.pathname.startsWith('/ws-test/')) return;
        const key = url.searchParams.get('key') ?? 'default';
        connections.set(key, (connections.get(key) ?? 0) + 1);
        const kind = url.pathname.slice('/ws-test/'.length);
        if (kind === 'hang') {
          hanging.add(socket);
          socket.on('close', () => hanging.delete(socket));
          return;
        }
        server.handleUpgrade(req, socket, head, (ws) => {
          if (kind === 'echo')
            ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
          if (kind === 'close') ws.close(Number(url.searchParams.get('code')), 'test close');
        });
      });
    },
    serverStop() {
      for (const socket of hanging) socket.destroy();
      server.close();
    },
    executeCommand({ command, payload }) {
      if (command !== 'ws-test-connections') return undefined;
      return { count: connections.get(payload.key) ?? 0 };
    },
  };
}

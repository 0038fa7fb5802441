/**
 * Plain WebSocket servers for `<socket-relay raw>` tests, on the test runner's own server:
 * /ws-test/echo (echoes every message), /ws-test/silent (accepts, never answers),
 * /ws-test/hang (never completes the upgrade), /ws-test/close?code=N (closes with N),
 * /ws-test/old-hub?max=N (a hub from before the hello frame: acks publishes, closes with 1009 on
 * a frame over N bytes, like `ws`'s `maxPayload`).
 * `?key=` groups connections; `ws-test-connections` returns how many a key saw and when (ms),
 * `ws-test-close` closes a key's open sockets with a code, `ws-test-frames` lists the publish
 * frames an old hub of a key received.
 */
import { WebSocketServer } from 'ws';

export function wsTestServer() {
  const server = new WebSocketServer({ noServer: true });
  const connections = new Map();
  const times = new Map();
  const open = new Map();
  const frames = new Map();
  const hanging = new Set();
  let seq = 0;
  return {
    name: 'ws-test-server',
    serverStart({ server: http }) {
      http.on('upgrade', (req, socket, head) => {
        const url = new URL(req.url, 'http://x');
        if (!url.pathname.startsWith('/ws-test/')) return;
        const key = url.searchParams.get('key') ?? 'default';
        connections.set(key, (connections.get(key) ?? 0) + 1);
        times.set(key, [...(times.get(key) ?? []), Date.now()]);
        const kind = url.pathname.slice('/ws-test/'.length);
        if (kind === 'hang') {
          hanging.add(socket);
          socket.on('close', () => hanging.delete(socket));
          return;
        }
        server.handleUpgrade(req, socket, head, (ws) => {
          if (!open.has(key)) open.set(key, new Set());
          open.get(key).add(ws);
          ws.on('close', () => open.get(key).delete(ws));
          if (kind === 'old-hub') {
            const max = Number(url.searchParams.get('max'));
            ws.on('message', (data) => {
              if (data.length > max) return ws.close(1009, 'too big');
              const frame = JSON.parse(data.toString());
              if (frame.type !== 'publish') return;
              frames.set(key, [...(frames.get(key) ?? []), frame]);
              ws.send(JSON.stringify({ type: 'ack', ref: frame.ref, id: `old-${++seq}` }));
            });
          }
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
      switch (command) {
        case 'ws-test-connections':
          return { count: connections.get(payload.key) ?? 0, times: times.get(payload.key) ?? [] };
        case 'ws-test-close': {
          const now = Date.now();
          for (const ws of open.get(payload.key) ?? []) ws.close(payload.code, 'test close');
          return { at: now };
        }
        case 'ws-test-frames':
          return { frames: frames.get(payload.key) ?? [] };
        default:
          return undefined;
      }
    },
  };
}

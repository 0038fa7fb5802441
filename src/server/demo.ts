import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hub } from './hub.js';

/**
 * What only the demo pages need, and only `realtime-elements-server --demo` (and `npm start`)
 * serves: a made-up price every second on `demo-prices` (numbered, so a page can show there is
 * no gap), `POST /demo-api/cut` (drops every open hub connection for real, to show a resume),
 * `GET /demo-api/stats` (the hub's connection counts) and the relay worker at
 * `/sw-relay-worker.js` (at the root, so its scope can be the whole site).
 */
export interface DemoEndpoints {
  /** Answers a demo endpoint; false for any other request. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Remembers a hub connection (an SSE or poll response, a WebSocket) so `cut` can drop it. */
  track(connection: ServerResponse | Duplex): void;
  /** Stops the ticker. */
  close(): void;
}

export function demoEndpoints(hub: Hub, workerFile: string): DemoEndpoints {
  let n = 0;
  let price = 100;
  const ticker = setInterval(() => {
    price = Math.max(1, price + (Math.random() - 0.5) * 2);
    const tick = { n: ++n, price: Math.round(price * 100) / 100, at: Date.now() };
    hub.publish('demo-prices', tick).catch(() => {});
  }, 1000);
  ticker.unref();
  const connections = new Set<ServerResponse | Duplex>();

  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  return {
    handleRequest(req, res) {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/demo-api/cut' && req.method === 'POST') {
        const cut = connections.size;
        for (const connection of connections) {
          ('socket' in connection && connection.socket ? connection.socket : connection).destroy();
        }
        json(res, { cut });
        return true;
      }
      if (path === '/demo-api/stats' && req.method === 'GET') {
        json(res, hub.stats());
        return true;
      }
      if (path === '/sw-relay-worker.js' && req.method === 'GET') {
        readFile(workerFile, 'utf8').then(
          (body) => {
            res.writeHead(200, {
              'Content-Type': 'text/javascript; charset=utf-8',
              'Cache-Control': 'no-cache',
            });
            res.end(body);
          },
          () => res.writeHead(404).end(),
        );
        return true;
      }
      return false;
    },
    track(connection) {
      connections.add(connection);
      connection.on('close', () => connections.delete(connection));
    },
    close() {
      clearInterval(ticker);
    },
  };
}

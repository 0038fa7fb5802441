/**
 * Two hub processes on one real redis-server, behind a TCP proxy that sends each new
 * connection to the other process in turn, for the scale-out fault tests in the browser.
 * Started on first use (`cluster-start` → the proxy's WebSocket URL), stopped with the runner.
 * Each engine has its own proxy (Firefox and WebKit run side by side): `cluster-cut` drops every
 * connection of the caller's proxy, `cluster-refuse` refuses new ones there for `ms`,
 * `cluster-publish-paced` publishes `{ f: 'hub', n }` over HTTP, alternating processes.
 */
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { startHubProcess, startRedis } from '../node/server/redis-helpers.mjs';
import { httpJson } from '../node/server/hub-helpers.mjs';
import { engineOf } from '../engines.mjs';

async function startHubs() {
  const redis = await startRedis();
  const hubs = await Promise.all(
    [1, 2].map(() => startHubProcess(redis.url, { allowedOrigins: '*' })),
  );
  return {
    hubs,
    async stop() {
      await Promise.all(hubs.map((hub) => hub.stop()));
      await redis.stop();
    },
  };
}

/** A proxy of one engine's in front of the hub processes: its cuts and refusals are its own. */
async function startProxy(hubs) {
  const sockets = new Set();
  let next = 0;
  const proxy = { refuseUntil: 0 };
  const server = createServer((client) => {
    if (Date.now() < proxy.refuseUntil) return void client.destroy();
    const { port } = new URL(hubs[next++ % hubs.length].origin);
    const upstream = connect(Number(port), '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return Object.assign(proxy, {
    url: `ws://127.0.0.1:${server.address().port}/realtime/ws`,
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    stop() {
      server.close();
      this.cut();
    },
  });
}

export function hubClusterPlugin() {
  let cluster;
  /** Per engine (Firefox and WebKit run side by side): its proxy. */
  const proxies = new Map();
  return {
    name: 'hub-cluster',
    async serverStop() {
      for (const proxy of proxies.values()) (await proxy).stop();
      await (await cluster)?.stop();
    },
    async executeCommand({ command, payload = {}, session }) {
      if (!command.startsWith('cluster-')) return undefined;
      cluster ??= startHubs();
      const { hubs } = await cluster;
      const engine = engineOf(session.browser);
      if (!proxies.has(engine)) proxies.set(engine, startProxy(hubs));
      const proxy = await proxies.get(engine);
      switch (command) {
        case 'cluster-start':
          return { url: proxy.url };
        case 'cluster-cut':
          proxy.cut();
          return true;
        case 'cluster-refuse':
          proxy.refuseUntil = Date.now() + payload.ms;
          return true;
        case 'cluster-publish-paced': {
          // Numbers from `from` (default 0): a caller publishes in chunks, as one command must
          // answer within the runner's 20 s however loaded the machine is.
          const from = payload.from ?? 0;
          for (let n = from; n < from + payload.count; n++) {
            const hub = hubs[n % hubs.length];
            const { status } = await httpJson(hub.url(`/publish?topic=${payload.topic}`), {
              method: 'POST',
              body: { f: 'hub', n },
              headers: { 'idempotency-key': `${payload.topic}-${n}` },
            });
            if (status !== 200) throw new Error(`publish ${n}: ${status}`);
            if (n % 10 === 9) await new Promise((resolve) => setTimeout(resolve, payload.pause));
          }
          return true;
        }
        default:
          return undefined;
      }
    },
  };
}

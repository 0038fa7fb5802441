/**
 * Two hub processes on one real redis-server, behind a TCP proxy that sends each new
 * connection to the other process in turn, for the scale-out fault tests in the browser.
 * Started on first use (`cluster-start` → the proxy's WebSocket URL), stopped with the runner.
 * `cluster-cut` drops every proxied connection, `cluster-refuse` refuses new ones for `ms`,
 * `cluster-publish-paced` publishes `{ f: 'hub', n }` over HTTP, alternating processes.
 */
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { startHubProcess, startRedis } from '../node/server/redis-helpers.mjs';
import { httpJson } from '../node/server/hub-helpers.mjs';

async function startCluster() {
  const redis = await startRedis();
  const hubs = await Promise.all(
    [1, 2].map(() => startHubProcess(redis.url, { allowedOrigins: '*' })),
  );
  const sockets = new Set();
  let next = 0;
  const cluster = { refuseUntil: 0 };
  const proxy = createServer((client) => {
    if (Date.now() < cluster.refuseUntil) return void client.destroy();
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
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return Object.assign(cluster, {
    url: `ws://127.0.0.1:${proxy.address().port}/realtime/ws`,
    hubs,
    cut() {
      for (const socket of sockets) socket.destroy();
    },
    async stop() {
      proxy.close();
      this.cut();
      await Promise.all(hubs.map((hub) => hub.stop()));
      await redis.stop();
    },
  });
}

export function hubClusterPlugin() {
  let cluster;
  return {
    name: 'hub-cluster',
    async serverStop() {
      await (await cluster)?.stop();
    },
    async executeCommand({ command, payload = {} }) {
      if (!command.startsWith('cluster-')) return undefined;
      cluster ??= startCluster();
      const c = await cluster;
      switch (command) {
        case 'cluster-start':
          return { url: c.url };
        case 'cluster-cut':
          c.cut();
          return true;
        case 'cluster-refuse':
          c.refuseUntil = Date.now() + payload.ms;
          return true;
        case 'cluster-publish-paced': {
          // Numbers from `from` (default 0): a caller publishes in chunks, as one command must
          // answer within the runner's 20 s however loaded the machine is.
          const from = payload.from ?? 0;
          for (let n = from; n < from + payload.count; n++) {
            const hub = c.hubs[n % c.hubs.length];
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

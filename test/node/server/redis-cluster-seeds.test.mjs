// A hub started while a Redis Cluster node is down: with one seed node (`url`), a hub whose seed
// is the node that is down could not start at all, though the cluster still served the hub's
// slot (`cluster-require-full-coverage no`, or a replica promoted in its place). `url` takes
// several seed nodes, as ioredis `Cluster` does: the first one that answers gives the topology.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openSse, startHub, until } from './hub-helpers.mjs';
import { startCluster } from './redis-cluster-helpers.mjs';

test('a hub started while its first seed node is down connects through the next seed', async () => {
  const cluster = await startCluster();
  let h;
  try {
    for (const n of cluster.nodes) {
      execFileSync('redis-cli', [
        '-p',
        String(n.port),
        'config',
        'set',
        'cluster-require-full-coverage',
        'no',
      ]);
    }
    const owner = cluster.ownerOf('{seeds}');
    const down = cluster.nodes.find((n) => n !== owner);
    await cluster.kill(down);
    const url = (n) => `redis://127.0.0.1:${n.port}`;
    h = await startHub({ redis: { url: [url(down), url(owner)], cluster: true, prefix: 'seeds' } });
    const publish = (data) =>
      fetch(h.url('/publish?topic=t'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(data),
      });
    // The cluster marks the lost node failing within its node timeout (3 s); until then a
    // command may still be refused (503): retried, as a client does.
    await until(
      async () => (await publish('first')).status === 200,
      30_000,
      'a publish through the second seed',
    );
    const live = await openSse(h.url('/sse?topic=t'));
    await until(() => live.records().some((r) => r.event === 'cursor'), 30_000, 'the live cursor');
    assert.equal((await publish('second')).status, 200);
    await until(() => live.events().length === 1, 30_000, 'the live event');
    assert.deepEqual(JSON.parse(live.events()[0].data), 'second');
  } finally {
    await h?.close();
    await cluster.stop();
  }
});

test('several URLs without cluster: a clear TypeError at createHub, not a hub on the first', async () => {
  const { createHub } = await import('../../../dist/server/index.js');
  assert.throws(
    () => createHub({ redis: { url: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'] } }),
    (error) => error instanceof TypeError && /cluster: true/.test(error.message),
  );
});

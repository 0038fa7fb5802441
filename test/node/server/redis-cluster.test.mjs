// The hub on a real Redis Cluster (three redis-server nodes, `redis-cli --cluster create`): every
// key shares one hash tag, so each atomic script touches one slot — no CROSSSLOT error — and
// per-topic history, replay and the lost-topic reset work as on one Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSse, startHub, until } from './hub-helpers.mjs';
import { startCluster } from './redis-cluster-helpers.mjs';

test('the hub on a Redis Cluster: publish, per-topic history, replay with a lost-topic reset', async () => {
  const cluster = await startCluster();
  // Three nodes share the slots: each prefix (hash tag) lands on one of them, the client follows.
  const h = await startHub({
    redis: { url: cluster.url, cluster: true, prefix: 'cl' },
    history: { 'short-': { limit: 2 } },
  });
  try {
    const start = await h.hub.latestId();
    const live = await openSse(h.url('/sse?topic=long&topic=short-a'));
    await until(() => live.records().some((r) => r.event === 'cursor'), 30_000, 'the live cursor');
    for (let i = 0; i < 5; i++) {
      await h.hub.publish('long', `l${i}`);
      await h.hub.publish('short-a', i);
    }
    await until(() => live.events().length === 10, 30_000, 'live fan-out through the cluster');
    const stream = await openSse(h.url('/sse?topic=long&topic=short-a'), {
      'Last-Event-ID': start,
    });
    await until(() => stream.events().length === 8, 30_000, 'the replay');
    const [reset, ...events] = stream.events();
    assert.deepEqual(JSON.parse(reset.data), { reason: 'too-old', id: start, topics: ['short-a'] });
    assert.deepEqual(
      events.map((r) => JSON.parse(r.data)),
      ['l0', 'l1', 'l2', 'l3', 3, 'l4', 4],
    );
    const recent = await h.hub.history(['long', 'short-a'], { limit: 3 });
    assert.deepEqual(
      recent.events.map((e) => e.data),
      [3, 'l4', 4],
    );
    stream.close();
    live.close();
  } finally {
    await h.close();
    await cluster.stop();
  }
});

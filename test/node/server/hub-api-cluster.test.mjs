// The server-side API on a real Redis Cluster: a multi-topic publish (one script over many
// keys) and the subscriber counts (per-process hashes) stay in one slot — no CROSSSLOT error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSse, startHub, until } from './hub-helpers.mjs';
import { startCluster } from './redis-cluster-helpers.mjs';

test('hub.publish to several topics and hub.topics() on a Redis Cluster', async () => {
  const cluster = await startCluster();
  const redis = { url: cluster.url, cluster: true, prefix: 'api', countsInterval: 100 };
  const a = await startHub({ redis });
  const b = await startHub({ redis });
  try {
    const stream = await openSse(b.url('/sse?topic=x&topic=y'));
    await until(() => stream.records().some((r) => r.event === 'cursor'), 30_000, 'cursor');
    // Hub a's own cluster connection may still be coming up on a loaded machine: its publish is
    // then a 503 `unavailable` that stored nothing (CI saw it once at load 15), and a caller
    // tries again, as the error's Retry-After says.
    const events = await until(
      () =>
        a.hub.publish(['x', 'y', 'z'], 'all').catch(async (error) => {
          if (error?.code !== 'unavailable') throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
          return undefined;
        }),
      30_000,
      'a publish once the store is up',
    );
    assert.deepEqual(
      events.map((e) => e.topic),
      ['x', 'y', 'z'],
    );
    await until(() => stream.events().length === 2, 30_000, 'fan-out');
    assert.deepEqual(
      stream.events().map((e) => e.id),
      events.slice(0, 2).map((e) => e.id),
    );
    await until(
      async () =>
        JSON.stringify(await a.hub.topics()) ===
        JSON.stringify([
          { topic: 'x', subscribers: 1, local: 0 },
          { topic: 'y', subscribers: 1, local: 0 },
        ]),
      30_000,
      'counts through the cluster',
    );
    stream.close();
  } finally {
    await Promise.all([a.close(), b.close()]);
    await cluster.stop();
  }
});

// The hub on a real Redis Cluster (three redis-server nodes, `redis-cli --cluster create`): every
// key shares one hash tag, so each atomic script touches one slot — no CROSSSLOT error — and
// per-topic history, replay and the lost-topic reset work as on one Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSse, startHub, until } from './hub-helpers.mjs';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function startCluster(size = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'rt-cluster-'));
  const nodes = [];
  for (let i = 0; i < size; i++) {
    const port = await freePort();
    let output = '';
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (chunk) => (output += chunk));
    await until(() => output.includes('Ready to accept connections'), 10_000, 'a cluster node');
    nodes.push({ port, child });
  }
  execFileSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { stdio: 'ignore' },
  );
  await until(
    () =>
      nodes.every((n) =>
        execFileSync('redis-cli', ['-p', String(n.port), 'cluster', 'info'])
          .toString()
          .includes('cluster_state:ok'),
      ),
    20_000,
    'cluster_state:ok',
  );
  return {
    url: `redis://127.0.0.1:${nodes[0].port}`,
    async stop() {
      for (const n of nodes) {
        n.child.kill('SIGTERM');
        await new Promise((resolve) => n.child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

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
    await until(() => live.records().some((r) => r.event === 'cursor'), 10_000, 'the live cursor');
    for (let i = 0; i < 5; i++) {
      await h.hub.publish('long', `l${i}`);
      await h.hub.publish('short-a', i);
    }
    await until(() => live.events().length === 10, 10_000, 'live fan-out through the cluster');
    const stream = await openSse(h.url('/sse?topic=long&topic=short-a'), {
      'Last-Event-ID': start,
    });
    await until(() => stream.events().length === 8, 10_000, 'the replay');
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

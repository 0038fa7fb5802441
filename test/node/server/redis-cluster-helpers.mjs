// A real Redis Cluster for the tests: three redis-server nodes, `redis-cli --cluster create`.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.mjs';
import { until } from './hub-helpers.mjs';

export async function startCluster(size = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'rt-cluster-'));
  const nodes = [];
  for (let i = 0; i < size; i++) {
    // Below the ephemeral range, the cluster bus (port + 10000) too: a port from listen(0) may be
    // taken again by anyone once closed, and one above 55535 has no bus port at all.
    const port = await freePort({ plus: 10_000 });
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
    await until(() => output.includes('Ready to accept connections'), 30_000, 'a cluster node');
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

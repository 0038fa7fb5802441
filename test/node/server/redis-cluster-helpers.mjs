// A real Redis Cluster of `size` masters (no replicas, no persistence) on free loopback ports,
// made with `redis-cli --cluster create`; nodes can be killed (SIGKILL) and started again with
// the same cluster config file (same node id, same slots, empty data), flushed, or emptied of
// their slots (resharding).
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.mjs';
import { until } from './hub-helpers.mjs';

const run = promisify(execFile);
const cli = (port, ...args) =>
  execFileSync('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 }).toString();

export async function startCluster(size = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'rt-cluster-'));
  const nodes = [];
  const start = async (node) => {
    let output = '';
    node.child = spawn(
      'redis-server',
      [
        '--port',
        String(node.port),
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
        `nodes-${node.port}.conf`,
        // A lost node is marked failing after 3 s (default 15 s), so the test stays short.
        '--cluster-node-timeout',
        '3000',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    node.child.stdout.on('data', (chunk) => (output += chunk));
    await until(() => output.includes('Ready to accept connections'), 30_000, 'a cluster node');
  };
  for (let i = 0; i < size; i++) {
    // Below the ephemeral range, the cluster bus (port + 10000) too (see free-port.mjs).
    const node = { port: await freePort({ plus: 10_000 }) };
    await start(node);
    nodes.push(node);
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
    { stdio: 'ignore', timeout: 30_000 },
  );
  const healthy = () =>
    until(
      () => nodes.every((n) => cli(n.port, 'cluster', 'info').includes('cluster_state:ok')),
      30_000,
      'cluster_state:ok on every node',
    );
  await healthy();
  return {
    nodes,
    url: `redis://127.0.0.1:${nodes[0].port}`,
    /** The node that serves `key`'s hash slot. */
    ownerOf(key) {
      const slot = Number(cli(nodes[0].port, 'cluster', 'keyslot', key).trim());
      return nodes.find((n) => {
        const self = cli(n.port, 'cluster', 'nodes')
          .split('\n')
          .find((line) => line.includes('myself'));
        return self
          .split(' ')
          .slice(8)
          .some((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return slot >= from && slot <= to;
          });
      });
    },
    flushAll: () => nodes.forEach((n) => cli(n.port, 'flushall')),
    /** `redis-cli --cluster reshard`: every slot of `from` moves to `to`, keys and all. */
    async moveSlots(from, to) {
      const id = (n) => cli(n.port, 'cluster', 'myid').trim();
      await run(
        'redis-cli',
        [
          '--cluster',
          'reshard',
          `127.0.0.1:${from.port}`,
          '--cluster-from',
          id(from),
          '--cluster-to',
          id(to),
          '--cluster-slots',
          '16384',
          '--cluster-yes',
        ],
        { maxBuffer: 1 << 28, timeout: 60_000 },
      );
      await healthy();
    },
    async kill(node) {
      node.child.kill('SIGKILL');
      await new Promise((resolve) => node.child.once('exit', resolve));
    },
    /** Starts a killed node again with its config file, and waits for the cluster to be whole. */
    async restart(node) {
      await start(node);
      await healthy();
    },
    async stop() {
      for (const n of nodes) {
        if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
        n.child.kill('SIGTERM');
        await new Promise((resolve) => n.child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A real redis-server on a random loopback port (AOF on, in a temporary folder) and hub processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './hub-helpers.mjs';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'rt-redis-'));
  const port = await freePort();
  let child;
  let output = '';
  const start = async () => {
    output = '';
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (chunk) => (output += chunk));
    await until(() => output.includes('Ready to accept connections'), 10_000, 'redis-server');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    },
    restart: start,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startHubProcess(redisUrl, options = {}) {
  const args = ['test/node/server/hub-process.mjs', redisUrl, JSON.stringify(options)];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const origin = await until(
    () => /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0],
    10_000,
    'hub process',
  );
  return {
    origin,
    url: (path) => `${origin}/realtime${path}`,
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// A real redis-server on a random loopback port (AOF on unless asked otherwise, in a temporary
// folder) and hub processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './hub-helpers.mjs';
import { freePort } from '../free-port.mjs';

export async function startRedis({ persistence = true } = {}) {
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
        persistence ? 'yes' : 'no',
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
    /** Starts it again; `empty` drops its snapshot first (a restart that loses everything). */
    async restart({ empty = false } = {}) {
      if (empty) rmSync(join(dir, 'dump.rdb'), { force: true });
      await start();
    },
    /** Freezes the server (SIGSTOP): connections stay open, nothing is answered. */
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A hub process; `name` names its Redis connections (`CLIENT LIST`), its log is kept in `log`.
 * `options` (or an object in place of the name, with an optional `name`) go to createHub.
 */
export async function startHubProcess(redisUrl, nameOrOptions = '', options = {}) {
  const name = typeof nameOrOptions === 'string' ? nameOrOptions : (nameOrOptions.name ?? '');
  const extra = typeof nameOrOptions === 'string' ? options : { ...nameOrOptions, name: undefined };
  const args = ['test/node/server/hub-process.mjs', redisUrl, name, JSON.stringify(extra)];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let log = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => {
    log += chunk;
    if (!/\[realtime hub\]/.test(chunk)) process.stderr.write(chunk);
  });
  const origin = await until(
    () => /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0],
    10_000,
    'hub process',
  );
  return {
    origin,
    url: (path) => `${origin}/realtime${path}`,
    get log() {
      return child.exitCode === null ? log : `${log}\n(exited with ${child.exitCode})`;
    },
    kill: () => child.kill('SIGKILL'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

// The realtime-elements-server bin: serves the hub and the demo, stops cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSse, until } from './hub-helpers.mjs';

test('realtime-elements-server serves SSE, publish and the demo, and shuts down on SIGTERM', async () => {
  const child = spawn(process.execPath, ['dist/server/cli.js', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const origin = await until(
    () => /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0],
    10_000,
    'listening',
  );
  const stream = await openSse(`${origin}/realtime/sse?topic=cli`);
  const posted = await fetch(`${origin}/realtime/publish?topic=cli`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from: 'curl' }),
  });
  assert.equal(posted.status, 200);
  await until(() => stream.events().length === 1);
  assert.equal(stream.events()[0].data, '{"from":"curl"}');
  const demo = await fetch(`${origin}/`, { redirect: 'manual' });
  assert.equal(demo.headers.get('location'), '/demo/');
  assert.equal((await fetch(`${origin}/demo/`)).status, 200);
  // Encoded slashes survive URL normalisation: the path must still not leave the static root.
  assert.equal((await fetch(`${origin}/..%2F..%2F..%2Fetc%2Fpasswd`)).status, 403);
  const ended = new Promise((resolve) => stream.res.on('end', resolve));
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  await ended;
  assert.equal(code, 0);
});

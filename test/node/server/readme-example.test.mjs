// The README's node:http hub example, run exactly as printed: publishes are refused without the
// admin token and accepted with it, and SIGTERM stops it cleanly (exit 0, nothing on stderr).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSse, until } from './hub-helpers.mjs';
import { freePort } from '../free-port.mjs';

test('the README node:http example runs as shown and stops cleanly on SIGTERM', async () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /```js\n(\/\/ server\.mjs — plain node:http\n[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the example is in the README');
  const port = await freePort();
  // The only change: a free port instead of 8080, so the test cannot collide with anything.
  const code = block.replace('server.listen(8080,', `server.listen(${port},`);
  assert.notEqual(code, block);
  // Inside this package, so `realtime-elements/server` resolves to this build (self-reference).
  const dir = mkdtempSync(join(process.cwd(), '.readme-example-'));
  const file = join(dir, 'server.mjs');
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PUBLISH_SECRET: 's3cret' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    const origin = `http://127.0.0.1:${port}`;
    await until(
      () =>
        fetch(`${origin}/realtime/health`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      'the example listening',
    );
    const stream = await openSse(`${origin}/realtime/sse?topic=prices`);
    await until(() => stream.events().length >= 1, 15_000, 'a price from the interval');
    const publish = (headers) =>
      fetch(`${origin}/realtime/publish?topic=news`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '"hi"',
      });
    assert.equal((await publish({})).status, 403);
    assert.equal((await publish({ authorization: 'Bearer s3cret' })).status, 200);
    const ended = once(stream.res, 'end');
    child.kill('SIGTERM');
    const [exitCode] = await once(child, 'exit');
    await ended;
    assert.equal(exitCode, 0);
    assert.equal(stderr, '', 'nothing on stderr (no HubError after close)');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

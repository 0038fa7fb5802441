// The README's Express chat example (history per topic, a gap-free first render), run as
// printed: the page carries the kept messages and the cursor they were read at; a message
// published between the render and the subscribe arrives once, from that cursor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openSse, until } from './hub-helpers.mjs';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

test('the README Express chat example renders history with its cursor, and nothing is lost after it', async () => {
  const readme = readFileSync('README.md', 'utf8');
  const block = /```js\n(\/\/ chat\.mjs — Express 5[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the example is in the README');
  const port = await freePort();
  const code = block.replace('app.listen(8080,', `app.listen(${port},`);
  assert.notEqual(code, block);
  const dir = mkdtempSync(join(process.cwd(), '.readme-example-'));
  const file = join(dir, 'chat.mjs');
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const origin = `http://127.0.0.1:${port}`;
  const say = (text) =>
    fetch(`${origin}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    }).then((res) => res.json());
  try {
    await until(
      () =>
        fetch(`${origin}/chat`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      'the example listening',
    );
    await say('hello <b>');
    await say('second');
    const page = await (await fetch(`${origin}/chat`)).text();
    assert.match(page, /<li>hello &#60;b&#62;<\/li><li>second<\/li>/);
    const cursor = /last-event-id="([^"]+)"/.exec(page)?.[1];
    assert.ok(cursor, 'the page carries its cursor');
    // Published after the render, before the page's element subscribes.
    await say('in between');
    const stream = await openSse(`${origin}/realtime/sse?topic=chat:lobby`, {
      'Last-Event-ID': cursor,
    });
    await until(() => stream.events().length === 1, 5000, 'the message after the render');
    await say('live');
    await until(() => stream.events().length === 2, 5000, 'the live message');
    assert.deepEqual(
      stream.events().map((r) => JSON.parse(r.data).text),
      ['in between', 'live'],
    );
    const script = await fetch(`${origin}/realtime-elements/realtime-elements.js`);
    assert.equal(script.status, 200);
    await script.arrayBuffer();
    stream.close();
  } finally {
    child.kill('SIGTERM');
    const [exitCode] = await exited;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(exitCode, 0, stderr);
    assert.equal(stderr, '');
  }
});

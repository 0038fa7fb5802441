// The README's HTTP/2 server block, run as written (its port and a certificate made here aside):
// a page origin's SSE stream, long-poll and publish over HTTP/2 with TLS, and a clean SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.mjs';
import { readmeBlocks } from '../readme-blocks.mjs';
import { until } from './hub-helpers.mjs';
import { connectHttp2, makeCertificate } from './http2-helpers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test("the README's HTTP/2 server serves SSE, long-poll and publish to its own origin", async () => {
  const block = readmeBlocks().find(
    (b) => b.lang === 'js' && b.code.includes('http2.createSecureServer'),
  );
  assert.ok(block, 'the README has an http2.createSecureServer block');
  // Inside the package, so `realtime-elements/server` resolves to this build (self-reference).
  const dir = join(root, '.readme-blocks', `http2-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const { key, cert } = await makeCertificate();
  writeFileSync(join(dir, 'key.pem'), key);
  writeFileSync(join(dir, 'cert.pem'), cert);
  const port = await freePort();
  writeFileSync(
    join(dir, 'server.mjs'),
    block.code.replace('server.listen(8443)', `server.listen(${port}, '127.0.0.1')`),
  );
  const child = spawn(process.execPath, ['server.mjs'], { cwd: dir, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  const origin = `https://127.0.0.1:${port}`;
  let client;
  try {
    client = await until(
      async () => {
        if (child.exitCode !== null) assert.fail(`exited early: ${stderr}`);
        const c = connectHttp2(origin, cert);
        const ok = await c
          .request({ ':path': '/realtime/health' })
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) return c;
        c.session.destroy();
        return undefined;
      },
      30_000,
      'the README server',
    );
    const stream = await client.sse('/realtime/sse?topic=readme', { origin });
    assert.equal(stream.status, 200);
    const first = await client.request({ ':path': '/realtime/poll?topic=readme', origin });
    const { cursor } = JSON.parse(first.text);
    const held = client.request({ ':path': `/realtime/poll?topic=readme&since=${cursor}`, origin });
    const published = await client.request(
      {
        ':method': 'POST',
        ':path': '/realtime/publish?topic=readme',
        origin,
        'content-type': 'application/json',
      },
      '{"over":"h2"}',
    );
    assert.equal(published.status, 200, published.text);
    await until(() => stream.events().length === 1, 30_000, 'the event on the stream');
    assert.deepEqual(JSON.parse(stream.events()[0].data), { over: 'h2' });
    assert.deepEqual(
      JSON.parse((await held).text).events.map((e) => e.data),
      [{ over: 'h2' }],
    );
    // SIGTERM with the client's stream and connection still open, as a browser leaves them.
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [, signal] = await exited;
    clearTimeout(timer);
    client?.session.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(signal, null, `it did not stop on SIGTERM within 10 s: ${stderr}`);
  }
});

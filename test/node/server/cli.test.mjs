// The realtime-elements-server bin: serves the hub and the demo, stops cleanly on SIGTERM.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSse, until } from './hub-helpers.mjs';

test('realtime-elements-server --demo serves SSE, publish and the demo, and shuts down on SIGTERM', async () => {
  const child = spawn(process.execPath, ['dist/server/cli.js', '--port', '0', '--demo'], {
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

/** Runs the bin to its end; resolves with its exit code and output. */
async function run(args, env = {}) {
  const child = spawn(process.execPath, ['dist/server/cli.js', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

test('a bad flag or value is one clear line pointing at --help, and exit code 2', async () => {
  for (const args of [['--prot', '80'], ['--port', 'eighty'], ['stray'], ['--base-path', 'x/']]) {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 2, args.join(' '));
    assert.equal(stdout, '');
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^realtime-elements-server: .+ See realtime-elements-server --help\.$/);
    assert.doesNotMatch(stderr, /TypeError|ERR_PARSE_ARGS|\n\s+at /);
  }
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--allowed-origin/);
});

test('every URL printed at start answers; a busy port names --port and PORT', async () => {
  const child = spawn(process.execPath, ['dist/server/cli.js', '--demo'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PORT: '0' },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  await until(() => /health: \S+/.test(output), 10_000, 'start-up lines');
  const urls = output.match(/http:\/\/[^\s]+/g).filter((url) => !url.includes('<name>'));
  assert.ok(urls.length >= 3, output);
  for (const url of urls) assert.equal((await fetch(url)).status, 200, url);
  const port = new URL(urls[0]).port;
  const busy = await run(['--port', port]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, new RegExp(`port ${port} .*in use.*--port <n> \\(or PORT=<n>\\)`));
  assert.doesNotMatch(busy.stderr, /\n\s+at /);
  child.kill('SIGTERM');
  assert.deepEqual(await once(child, 'exit'), [0, null]);
});

test('the demo server (npm start) refuses a busy port with one line naming PORT; its URL answers', async () => {
  const { startDemoServer } = await import('../../../demo/server.mjs');
  const demo = await startDemoServer({ port: 0 });
  assert.equal((await fetch(demo.url)).status, 200);
  await assert.rejects(startDemoServer({ port: demo.port }), (error) => {
    assert.equal(error.code, 'EADDRINUSE');
    assert.match(error.message, new RegExp(`Port ${demo.port} is in use.*PORT=`));
    return true;
  });
  await demo.stop();
});

/** Starts the bin with `args` on a free port; resolves with its origin and a stop function. */
async function startCli(args) {
  const child = spawn(process.execPath, ['dist/server/cli.js', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const origin = await until(
    () => /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0],
    10_000,
    'listening',
  );
  return {
    origin,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

test('without --demo there is no demo page and no demo-only endpoint; / says where the hub is', async () => {
  const cli = await startCli([]);
  try {
    for (const path of ['/demo/', '/demo-api/cut', '/demo-api/stats', '/sw-relay-worker.js']) {
      const res = await fetch(`${cli.origin}${path}`, {
        method: path.endsWith('cut') ? 'POST' : 'GET',
      });
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
    const root = await fetch(`${cli.origin}/`);
    assert.equal(root.status, 200);
    assert.match(await root.text(), /\/realtime\/sse\?topic=/);
    assert.doesNotMatch(cli.output(), /demo/);
  } finally {
    await cli.stop();
  }
});

test('--demo serves every demo page with its ticker, connection cutter, stats and relay worker', async () => {
  const cli = await startCli(['--demo']);
  try {
    const index = await (await fetch(`${cli.origin}/demo/`)).text();
    const pages = [...index.matchAll(/href="(\/demo\/[^"]+)"/g)].map(([, href]) => href);
    assert.ok(pages.length >= 7, index);
    for (const page of pages) assert.equal((await fetch(`${cli.origin}${page}`)).status, 200, page);
    const worker = await fetch(`${cli.origin}/sw-relay-worker.js`);
    assert.equal(worker.status, 200);
    assert.match(worker.headers.get('content-type'), /javascript/);
    await worker.arrayBuffer();
    // The ticker publishes on demo-prices, and the cutter drops the stream for real.
    const stream = await openSse(`${cli.origin}/realtime/sse?topic=demo-prices`);
    await until(() => stream.events().length >= 1, 15_000, 'a tick');
    assert.equal(typeof JSON.parse(stream.events()[0].data).n, 'number');
    const stats = await (await fetch(`${cli.origin}/demo-api/stats`)).json();
    assert.equal(stats.sse, 1);
    const ended = new Promise((resolve) => stream.res.on('close', resolve));
    const cut = await (await fetch(`${cli.origin}/demo-api/cut`, { method: 'POST' })).json();
    assert.ok(cut.cut >= 1, JSON.stringify(cut));
    await ended;
  } finally {
    await cli.stop();
  }
});

test('the demo server (npm start) listens on loopback only, IPv4 and IPv6, for localhost', async () => {
  const { startDemoServer } = await import('../../../demo/server.mjs');
  const demo = await startDemoServer({ port: 0 });
  try {
    const addresses = demo.addresses.map((a) => a.address);
    assert.ok(addresses.includes('127.0.0.1'), JSON.stringify(demo.addresses));
    for (const address of addresses) assert.ok(['127.0.0.1', '::1'].includes(address), address);
    assert.equal((await fetch(`http://127.0.0.1:${demo.port}/demo/`)).status, 200);
  } finally {
    await demo.stop();
  }
});

// Every assertion above has run by now. Now and then (2 of ~6 full runs here) this file's
// process did not exit afterwards although no socket, child or timer of its own was left (its
// handles: three event loops' pipes, from the in-process @web/dev-server); a hang here would
// stall the whole run. The timer is unref'd: it fires only if something still holds the loop.
after(() => {
  setTimeout(() => {
    console.error('cli.test.mjs: a handle outlived the tests; exiting.');
    process.exit(0);
  }, 3000).unref();
});

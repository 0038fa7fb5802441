// Every README code block that can run is run: HTML blocks as pages in real Chromium (the CDN
// URLs served from dist/cdn, no import map — a bare import in plain HTML fails as it would for a
// reader), bundler-style JavaScript blocks as page modules with an import map of the package's
// exports, server blocks as a Node process that must serve the hub and stop cleanly on SIGTERM.
// Blocks marked `<!-- readme-test: sketch -->` are syntax-checked (esbuild, the Svelte and Vue
// compilers). A block that stops working fails the build. See readme-blocks.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import puppeteer from 'puppeteer-core';
import { transform } from 'esbuild';
import { createHub } from '../../dist/server/index.js';
import { demoEndpoints } from '../../dist/server/demo.js';
import { chromeArgs, findChrome } from '../../scripts/find-chrome.mjs';
import { blockKind, readmeBlocks } from './readme-blocks.mjs';
import { freePort } from './free-port.mjs';

const root = new URL('../../', import.meta.url).pathname;
const blocks = readmeBlocks();
const cdn = /https:\/\/cdn\.jsdelivr\.net\/npm\/realtime-elements\//g;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** An import map of the package's own exports (what a bundler resolves), for module blocks. */
function importMap() {
  const imports = {
    '@lit/reactive-element': '/node_modules/@lit/reactive-element/reactive-element.js',
  };
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : target.default;
    if (!file?.endsWith('.js') || subpath.includes('*')) continue;
    imports[`realtime-elements${subpath.slice(1)}`] = `/npm/realtime-elements/${file.slice(2)}`;
  }
  return JSON.stringify({ imports });
}

const mime = { '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

let hub;
let server;
let origin;
let browser;
let ticker;
let demo;

/** Serves a file below `dir` of the repository, or answers 404. */
async function serveFile(res, dir, path) {
  const file = normalize(join(root, dir, path));
  if (!file.startsWith(join(root, dir))) return void res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': mime[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
}

before(async () => {
  hub = createHub();
  // Something for the feeds of the examples to show.
  let n = 0;
  ticker = setInterval(() => {
    n++;
    for (const topic of ['prices', 'events', 'room-42', 'chat']) {
      hub.publish(topic, { n, eur: 1.08 + n / 10_000 }).catch(() => {});
    }
  }, 200);
  // The one-shot example's `src="/api/chat"`: the demo server's OpenAI-style endpoint.
  demo = demoEndpoints(hub, '');
  server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/api/chat') req.url = '/demo-api/chat';
    if (path === '/api/chat' && demo.handleRequest(req, res)) return;
    if (path === '/events') req.url = '/realtime/sse?topic=events'; // the examples' `src="/events"`
    if (hub.handleRequest(req, res)) return;
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (path === '/status.json') {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' });
      return void res.end('{"status":"ok"}');
    }
    if (path.startsWith('/readme/')) {
      const block = blocks.find((b) => path === `/readme/block-${b.line}.html`);
      if (!block) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(pageOf(block));
    }
    if (path.startsWith('/npm/realtime-elements/')) {
      return void serveFile(res, '', path.slice('/npm/realtime-elements/'.length));
    }
    // The self-hosting example mounts dist/cdn at /realtime-elements/.
    if (path.startsWith('/realtime-elements/')) {
      return void serveFile(res, 'dist/cdn', path.slice('/realtime-elements/'.length));
    }
    if (path.startsWith('/node_modules/@lit/')) return void serveFile(res, '', path.slice(1));
    if (/^\/sw-relay-(worker|import)\.js$/.test(path)) return void serveFile(res, 'dist', path);
    res.writeHead(404).end('not found');
  });
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await puppeteer.launch({
    executablePath: findChrome(),
    headless: true,
    args: chromeArgs,
  });
});

after(async () => {
  clearInterval(ticker);
  demo?.close();
  await browser?.close();
  await hub?.close();
  server?.closeAllConnections();
  server?.close();
});

function pageOf(block) {
  const head = '<!doctype html>\n<meta charset="utf-8" />\n<title>README block</title>\n';
  if (blockKind(block) === 'module') {
    return `${head}<script type="importmap">${importMap()}</script>\n<script type="module">\n${block.code}\n</script>\n`;
  }
  return `${head}${block.code.replace(cdn, '/npm/realtime-elements/')}\n`;
}

/** Runs in the page before its scripts: every element `error` event (they do not bubble, but a
 * capture listener on window sees them) and every uncaught error. */
function watchPage() {
  window.readmeErrorCodes = [];
  window.addEventListener(
    'error',
    (event) => {
      if (typeof event.code === 'string') window.readmeErrorCodes.push(event.code);
    },
    true,
  );
}

const ourTags = [
  'tab-channel',
  'storage-sync',
  'popup-bridge',
  'sw-relay',
  'sse-feed',
  'socket-relay',
  'poll-feed',
];

async function runPage(block) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    // A warning counts too: a reader who copies the block would see it (two copies of a tag).
    if (['error', 'warn', 'warning'].includes(message.type())) {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  await page.evaluateOnNewDocument(watchPage);
  try {
    await page.goto(`${origin}/readme/block-${block.line}.html`, { waitUntil: 'load' });
    // Settled: every element of ours on the page is defined and has left `connecting`.
    await page.waitForFunction(
      (tags) =>
        [...document.querySelectorAll(tags.join(','))].every(
          (element) => customElements.get(element.localName) && element.state !== 'connecting',
        ),
      { polling: 50, timeout: 10_000 },
      ourTags,
    );
    if (block.options.then) await page.evaluate(block.options.then);
    if (block.options.expect) {
      await page.waitForFunction(block.options.expect, { polling: 50, timeout: 10_000 });
    }
    const codes = await page.evaluate(() => window.readmeErrorCodes);
    assert.deepEqual(codes, block.options.errors ?? [], 'error codes the block showed');
    const states = await page.evaluate(
      (tags) =>
        [...document.querySelectorAll(tags.join(','))].map((e) => `${e.localName}:${e.state}`),
      ourTags,
    );
    if (!block.options.errors?.length) {
      assert.ok(!states.some((state) => state.endsWith(':error')), `states: ${states}`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
  }
}

async function runNode(block) {
  const port = await freePort();
  // Inside the package, so `realtime-elements/server` resolves to this build (self-reference).
  const dir = join(root, '.readme-blocks');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `block-${block.line}.mjs`);
  writeFileSync(file, block.code.replaceAll('8080', String(port)));
  const child = spawn(process.execPath, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  // Listened for at once: a block that fails at start exits before the checks below end.
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    const base = `http://127.0.0.1:${port}`;
    const end = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) assert.fail(`exited early (${child.exitCode}): ${stderr}`);
      const status = await fetch(`${base}/realtime/poll?topic=readme`).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > end) assert.fail(`the hub never answered on ${base}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // It publishes, and a reader sees it.
    const published = await fetch(`${base}/realtime/publish?topic=readme`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"from":"readme"}',
    });
    assert.ok(
      [200, 403].includes(published.status),
      `publish answered ${published.status}: ${await published.text()}`,
    );
    for (const path of block.options.get ?? []) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, `GET ${path}`);
      await res.arrayBuffer();
    }
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const [code, signal] = await exited;
    clearTimeout(timer);
    assert.equal(signal, null, 'it did not stop on SIGTERM within 5 s');
    assert.equal(code, 0, `exit code on SIGTERM; stderr: ${stderr}`);
    assert.equal(stderr, '');
  }
}

async function checkSketch(block) {
  if (block.lang === 'svelte') {
    const { compile } = await import('svelte/compiler');
    compile(block.code, { generate: 'client' });
    return;
  }
  if (block.lang === 'vue') {
    const { parse, compileScript, compileTemplate } = await import('vue/compiler-sfc');
    const { descriptor, errors } = parse(block.code);
    assert.deepEqual(errors, []);
    if (descriptor.scriptSetup || descriptor.script) compileScript(descriptor, { id: 'readme' });
    if (descriptor.template) {
      const result = compileTemplate({
        source: descriptor.template.content,
        id: 'readme',
        filename: 'readme.vue',
      });
      assert.deepEqual(result.errors, []);
    }
    return;
  }
  if (block.lang === 'html') {
    for (const [, script] of block.code.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)) {
      await transform(script, { loader: 'js', format: 'esm' });
    }
    return;
  }
  const loader = { js: 'js', ts: 'ts', tsx: 'tsx' }[block.lang];
  assert.ok(loader, `a sketch in ${block.lang} cannot be checked`);
  await transform(block.code, {
    loader,
    format: 'esm',
    tsconfigRaw: { compilerOptions: { experimentalDecorators: true } },
  });
}

test("the README's size of the CDN bundle is the built file's (within 1 KB)", () => {
  const claim = /every tag \(Lit included, (\d+(?:\.\d+)?) KB min\+gzip\)/.exec(
    readFileSync(join(root, 'README.md'), 'utf8'),
  );
  assert.ok(claim, 'the CDN section states the bundle size');
  const built = gzipSync(readFileSync(join(root, 'dist/cdn/realtime-elements.js')), { level: 9 });
  const kb = built.length / 1024;
  assert.ok(Math.abs(kb - Number(claim[1])) <= 1, `README says ${claim[1]} KB, built ${kb} KB`);
});

test("a version the README pins (realtime-elements@x.y.z) is the package's", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const pinned = [...readme.matchAll(/realtime-elements@(\d+\.\d+\.\d+)/g)].map(([, v]) => v);
  assert.ok(pinned.length > 0);
  assert.deepEqual([...new Set(pinned)], [pkg.version]);
});

test('the README marks what it cannot run, and runs the rest', () => {
  const kinds = blocks.map(blockKind);
  assert.ok(kinds.filter((kind) => kind === 'page').length >= 8, 'HTML examples run as pages');
  assert.ok(kinds.includes('node'), 'a server example runs in Node');
});

for (const block of blocks) {
  const kind = blockKind(block);
  const name = `README line ${block.line} (${block.lang}, ${kind})`;
  if (kind === 'page' || kind === 'module') test(name, () => runPage(block));
  else if (kind === 'node') test(name, () => runNode(block));
  else if (kind === 'sketch') test(name, () => checkSketch(block));
  else if (['tsx', 'vue', 'svelte'].includes(block.lang)) {
    test(name, () => checkSketch(block));
  }
}

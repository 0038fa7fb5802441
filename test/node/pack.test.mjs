// The published package, as a user gets it: `npm pack`, installed into a fresh project outside
// this repository, then used from Node (the hub, SSR-safe imports), from a bundler in a real
// browser, and from TypeScript (types, framework typings).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:http';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import puppeteer from 'puppeteer-core';
import { findChrome, chromeArgs } from '../../scripts/find-chrome.mjs';

const repo = resolve('.');
let consumer;

before(() => {
  consumer = mkdtempSync(join(tmpdir(), 'realtime-elements-consumer-'));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', consumer], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // Dependencies come from the npm cache this repository's install filled.
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(consumer, packed)],
    { cwd: consumer, stdio: 'inherit' },
  );
});

after(() => rmSync(consumer, { recursive: true, force: true }));

const inConsumer = (file, source) => {
  writeFileSync(join(consumer, file), source);
  return join(consumer, file);
};

test('the tarball holds the built package and its docs, not the sources or tests', () => {
  const installed = join(consumer, 'node_modules/realtime-elements');
  const top = readdirSync(installed).sort();
  for (const expected of [
    'README.md',
    'custom-elements.json',
    'dist',
    'frameworks',
    'package.json',
    'vscode.html-custom-data.json',
    'web-types.json',
  ]) {
    assert.ok(top.includes(expected), `${expected} missing from the package`);
  }
  for (const absent of ['src', 'test', 'node_modules', 'bench']) {
    assert.ok(!top.includes(absent), `${absent} should not be published`);
  }
  assert.ok(readdirSync(join(installed, 'dist/cdn')).includes('realtime-elements.js'));
  assert.ok(top.includes('LICENSE'), 'LICENSE missing from the package');
  // Only what a user runs: the demo pages, not the development server behind `npm start`
  // (it imports @web/dev-server, a development dependency); `--demo` serves them instead.
  const demo = readdirSync(join(installed, 'demo'));
  assert.ok(demo.includes('index.html'));
  assert.ok(!demo.includes('server.mjs'), 'demo/server.mjs should not be published');
});

// Red team (arc.js#80, react-node-to-string#4, emojibase#91: maps naming ../src/*.ts that the
// package does not ship make webpack's source-map-loader and Parcel warn once per file).
test('every source map in the package carries its sources or names files the package has', () => {
  const installed = join(consumer, 'node_modules/realtime-elements');
  const maps = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.map')) maps.push(path);
    }
  };
  walk(join(installed, 'dist'));
  assert.ok(maps.length > 50, `${maps.length} maps`);
  const broken = [];
  for (const path of maps) {
    const map = JSON.parse(readFileSync(path, 'utf8'));
    map.sources.forEach((source, i) => {
      const inlined = typeof map.sourcesContent?.[i] === 'string';
      if (!inlined && !existsSync(resolve(dirname(path), map.sourceRoot ?? '', source))) {
        broken.push(`${path.slice(installed.length + 1)} → ${source}`);
      }
    });
  }
  assert.deepEqual(broken.slice(0, 5), [], `${broken.length} sources missing`);
});

test('CommonJS reaches the hub as the README says: import(), and require() where Node has require(esm)', () => {
  const run = (file, source) =>
    execFileSync(process.execPath, [inConsumer(file, source)], { cwd: consumer, encoding: 'utf8' });
  const viaImport = run(
    'hub-import.cjs',
    `import('realtime-elements/server').then(async ({ createHub }) => {
      await createHub().close();
      console.log('ok');
    });`,
  );
  assert.equal(viaImport.trim(), 'ok');
  const viaRequire = run(
    'hub-require.cjs',
    `try {
      const { createHub } = require('realtime-elements/server');
      createHub().close().then(() => console.log('ok'));
    } catch (error) {
      console.log(error.code);
    }`,
  );
  // Node 20.19+/22.12+ load ES modules with require() (no top-level await in the graph).
  assert.equal(viaRequire.trim(), process.features.require_module ? 'ok' : 'ERR_REQUIRE_ESM');
});

// Red team: the README's copy command, `cp -r …/dist/cdn public/realtime-elements`, failed in a
// project without public/, and run again (an upgrade) nested a second copy at …/cdn/.
test("the README's self-hosting commands work in a fresh project, and again after an upgrade", () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Self-hosting the CDN files'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'a sh block under Self-hosting the CDN files');
  // The package is installed already (from the tarball); the rest runs as printed, twice.
  const commands = block.replace(/^npm install realtime-elements\n/m, '');
  assert.notEqual(commands, block);
  rmSync(join(consumer, 'public'), { recursive: true, force: true });
  for (let i = 0; i < 2; i++) execFileSync('sh', ['-ec', commands], { cwd: consumer });
  const copied = join(consumer, 'public/realtime-elements');
  // The <script src> of the README's next block is there, and nothing is nested.
  assert.ok(/src="\/realtime-elements\/realtime-elements\.js"/.test(section));
  assert.ok(existsSync(join(copied, 'realtime-elements.js')));
  assert.ok(existsSync(join(copied, 'chunks')) && existsSync(join(copied, 'auto')));
  assert.ok(!existsSync(join(copied, 'cdn')), 'a second run nested a copy');
});

test('Node: every element module imports without a DOM, and the hub serves SSE', async () => {
  const script = inConsumer(
    'node-use.mjs',
    `
    import * as library from 'realtime-elements';
    import 'realtime-elements/define';
    import { TabChannelElement } from 'realtime-elements/tab-channel';
    import 'realtime-elements/sse-feed/define';
    import { IdbChannel } from 'realtime-elements/transports/idb-channel';
    import { createHub } from 'realtime-elements/server';
    import { createServer } from 'node:http';

    const hub = createHub();
    const server = createServer((req, res) => hub.handleRequest(req, res));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address();
    const response = await fetch('http://127.0.0.1:' + port + '/realtime/sse?topic=t');
    const reader = response.body.getReader();
    await hub.publish('t', { hello: 'packed' });
    let text = '';
    while (!text.includes('packed')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await hub.close();
    server.close();
    console.log(JSON.stringify({
      classes: Object.keys(library).filter((k) => k.endsWith('Element')).length,
      same: library.TabChannelElement === TabChannelElement,
      idb: typeof IdbChannel,
      status: response.status,
      type: response.headers.get('content-type').split(';')[0],
      event: text.includes('"hello":"packed"'),
    }));
    `,
  );
  const output = execFileSync('node', [script], { cwd: consumer, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(output.trim().split('\n').at(-1)), {
    classes: 7,
    same: true,
    idb: 'function',
    status: 200,
    type: 'text/event-stream',
    event: true,
  });
});

test('TypeScript: classes, define modules, server and framework typings resolve', () => {
  inConsumer(
    'use.ts',
    `
    import { TabChannelElement, type SseFeedEventMap } from 'realtime-elements';
    import 'realtime-elements/storage-sync/define';
    import 'realtime-elements/tab-channel/define';
    import { createHub, type Hub } from 'realtime-elements/server';
    import type {} from 'realtime-elements/react';
    import type {} from 'realtime-elements/vue';
    import type {} from 'realtime-elements/svelte';

    const sync = document.createElement('storage-sync');
    sync.key = 'draft';
    const channel: TabChannelElement = document.createElement('tab-channel');
    channel.transport = 'cookie';
    const handler = (event: SseFeedEventMap['message']) => event.lastEventId;
    const hub: Hub = createHub();
    // @ts-expect-error key is a string
    sync.key = 1;
    export { handler, hub };
    `,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM'],
        types: ['node'],
        typeRoots: [join(repo, 'node_modules/@types')],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
      },
      files: ['use.ts'],
    }),
  );
  // react, vue and svelte typings need those packages' own types: borrowed from this repository.
  for (const dep of ['react', '@types/react', 'vue', 'svelte', '@vue', 'csstype']) {
    const target = join(consumer, 'node_modules', dep);
    if (!existsSync(target)) {
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(repo, 'node_modules', dep), target);
    }
  }
  execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], {
    cwd: consumer,
    stdio: 'inherit',
  });
});

test('TypeScript finds the types of every export under moduleResolution bundler, nodenext and node (node10)', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const typed = Object.entries(pkg.exports)
    .filter(([, target]) => typeof target === 'object' && target.types)
    .map(([subpath]) => `realtime-elements${subpath.slice(1)}`);
  assert.ok(typed.length > 20);
  // Each export by name, so an export whose types cannot be found fails (TS2307).
  inConsumer(
    'every-export.ts',
    typed.map((name, i) => `import type * as m${i} from '${name}';`).join('\n') +
      `\nexport type All = [${typed.map((_, i) => `typeof m${i}`).join(', ')}];\n`,
  );
  for (const [module, moduleResolution] of [
    ['ESNext', 'bundler'],
    ['NodeNext', 'NodeNext'],
    // Still the setting of many projects: it ignores `exports`, so `typesVersions` maps them.
    ['ESNext', 'node10'],
  ]) {
    const config = `tsconfig.${moduleResolution}.json`;
    writeFileSync(
      join(consumer, config),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module,
          moduleResolution,
          ignoreDeprecations: '6.0',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          typeRoots: [join(repo, 'node_modules/@types')],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['every-export.ts'],
      }),
    );
    try {
      execFileSync(join(repo, 'node_modules/.bin/tsc'), ['-p', config], {
        cwd: consumer,
        encoding: 'utf8',
      });
    } catch (error) {
      assert.fail(`moduleResolution ${moduleResolution}:\n${error.stdout}`);
    }
  }
});

test('a bundler (rollup) builds an app from the package, and it runs in Chromium', async () => {
  const entry = inConsumer(
    'app.js',
    `
    import 'realtime-elements/define';
    const channel = document.createElement('tab-channel');
    channel.name = 'packed';
    document.body.append(channel);
    const listener = new BroadcastChannel('packed');
    window.result = new Promise((resolve) => (listener.onmessage = (e) => resolve(e.data)));
    channel.post({ from: 'the packed bundle' });
    window.tags = ['tab-channel', 'storage-sync', 'popup-bridge', 'sw-relay', 'sse-feed', 'socket-relay', 'poll-feed']
      .map((tag) => !!customElements.get(tag));
    `,
  );
  const bundle = await rollup({
    input: entry,
    plugins: [nodeResolve({ rootDir: consumer, browser: true })],
  });
  const { output } = await bundle.generate({ format: 'es', inlineDynamicImports: true });
  const code = output[0].code;
  assert.ok(
    Object.keys(output[0].modules).every((id) => !id.startsWith(repo + '/src')),
    'bundled from the installed package',
  );
  const browser = await puppeteer.launch({
    executablePath: findChrome(),
    headless: true,
    args: chromeArgs,
  });
  try {
    const server = createServer((request, response) => {
      const js = request.url === '/app.js';
      response.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
      response.end(js ? code : '<!doctype html><script type="module" src="/app.js"></script>');
    });
    await new Promise((done) => server.listen(0, '127.0.0.1', done));
    after(() => server.close());
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.result);
    assert.deepEqual(await page.evaluate(() => window.result), { from: 'the packed bundle' });
    assert.deepEqual(await page.evaluate(() => window.tags), Array(7).fill(true));
  } finally {
    await browser.close();
  }
  assert.ok(readFileSync(entry, 'utf8').includes('realtime-elements/define'));
});

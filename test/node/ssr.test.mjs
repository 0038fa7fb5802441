// Importing any module in Node (no window, no document, no real customElements) must not throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const modules = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    // cdn/ and the service-worker scripts are for browsers; server/ has its own tests. The
    // worker's importable relay (worker/relay.js) is a module and is checked.
    if (entry.isDirectory()) return ['cdn', 'server'].includes(entry.name) ? [] : modules(path);
    const workerScript = /^sw-relay-|^(sw-relay-worker|import-scripts)\.js$/.test(entry.name);
    return entry.name.endsWith('.js') && !workerScript ? [path] : [];
  });

test('no DOM globals in this process', () => {
  assert.equal(typeof window, 'undefined');
  assert.equal(typeof document, 'undefined');
});

for (const file of modules('dist')) {
  test(`imports ${file} without a DOM`, async () => {
    await assert.doesNotReject(import(`../../${file}`));
  });
}

test('the classes are exported and carry define()', async () => {
  const library = await import('../../dist/index.js');
  assert.equal(typeof library.TabChannelElement, 'function');
  assert.equal(typeof library.TabChannelElement.define, 'function');
  assert.equal(library.TabChannelElement.defaultTag, 'tab-channel');
});

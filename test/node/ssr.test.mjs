// Importing any module in Node (no window, no document, no real customElements) must not throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const modules = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'cdn' || entry.name === 'server' ? [] : modules(path);
    return entry.name.endsWith('.js') ? [path] : [];
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

// The package's public surface: every element has its exports and its define module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const tags = readdirSync('src')
  .filter((file) => file.endsWith('-define.ts'))
  .map((file) => file.slice(0, -'-define.ts'.length));

test('every element has ./<tag> and ./<tag>/define exports that exist', () => {
  assert.ok(tags.length > 0);
  for (const tag of tags) {
    for (const key of [`./${tag}`, `./${tag}/define`]) {
      const entry = pkg.exports[key];
      assert.ok(entry, `missing export ${key}`);
      assert.ok(existsSync(entry.default), `${entry.default} not built`);
      assert.ok(existsSync(entry.types), `${entry.types} not built`);
    }
    assert.ok(existsSync(`dist/cdn/${tag}.js`), `no CDN file for ${tag}`);
  }
});

test('typesVersions lists the types of every export (for moduleResolution node10)', () => {
  const expected = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath !== '.' && typeof target === 'object' && target.types) {
      expected[subpath.slice(2)] = [target.types];
    }
  }
  assert.deepEqual(pkg.typesVersions, { '*': expected });
});

test('the package imports itself by name', async () => {
  const library = await import('realtime-elements');
  const define = await import('realtime-elements/define');
  assert.equal(typeof library.TabChannelElement, 'function');
  assert.ok(define);
});

test('lit (through @lit/reactive-element) is the only runtime dependency of the browser code', () => {
  // ws is the hub's (server side); the browser code depends on Lit alone.
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@lit/reactive-element', 'ws']);
});

test('custom-elements.json describes every tag', () => {
  const manifest = JSON.parse(readFileSync(pkg.customElements, 'utf8'));
  const described = manifest.modules.flatMap((m) => m.declarations ?? []).map((d) => d.tagName);
  for (const tag of tags) assert.ok(described.includes(tag), `${tag} missing from the manifest`);
});

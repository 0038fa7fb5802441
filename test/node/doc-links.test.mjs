// The docs point at things that exist: a link to a file of the repository or to a heading of
// the same document, and a document named in a comment (the design doc of the repository is
// ARCHITECTURE.md; comments once named one it never had).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const docs = ['README.md', 'ARCHITECTURE.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'BENCHMARKS.md'];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

test('every link in the docs reaches a file of the repository or a heading of its document', () => {
  const broken = [];
  for (const doc of docs) {
    const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
    const anchors = new Set(
      [...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => slug(heading)),
    );
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [file, anchor] = target.split('#');
      if (file && !existsSync(file)) broken.push(`${doc}: ${target}`);
      if (!file && !anchors.has(anchor)) broken.push(`${doc}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

test('a document named in a source, test or script comment exists', () => {
  const files = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return files(path);
      return /\.(ts|tsx|mjs|js)$/.test(entry.name) ? [path] : [];
    });
  const missing = [];
  for (const file of ['src', 'test', 'scripts', 'bench', 'demo'].flatMap(files)) {
    for (const [name] of readFileSync(file, 'utf8').matchAll(/\b[A-Z][A-Z_]+\.md\b/g)) {
      if (!existsSync(name)) missing.push(`${file}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

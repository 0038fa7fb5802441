// The README's Troubleshooting table names real codes: each `code` it lists is one the elements
// can emit (a string in their sources), and each is in the error-code table of an element.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync('README.md', 'utf8');
const section = /^## Troubleshooting\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';

/** Every .ts file under src/ but the hub (its codes are not an element's `error` event). */
function browserSources(dir = 'src') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join('src', 'server') ? [] : browserSources(path);
    return path.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** The codes in the table's first column (`forbidden-origin`, not `<sse-feed>` or `503`). */
const listed = [
  ...new Set(
    section
      .split('\n')
      .filter((line) => line.startsWith('| ') && !/^\| (symptom|-)/.test(line))
      .flatMap((line) => [...line.split('|')[1].matchAll(/`([a-z]+(?:-[a-z]+)*)`/g)])
      .map(([, code]) => code),
  ),
];

test('the Troubleshooting table lists codes', () => {
  assert.ok(section, 'README has a Troubleshooting section');
  assert.ok(listed.length >= 15, `codes found: ${listed}`);
});

test('every code in Troubleshooting is one an element emits', () => {
  const sources = browserSources().join('\n');
  const missing = listed.filter((code) => !new RegExp(`['"\`]${code}['"\`]`).test(sources));
  assert.deepEqual(missing, [], 'listed in Troubleshooting, emitted by no element');
});

test("every code in Troubleshooting is in an element's error-code table", () => {
  const elsewhere = readme.replace(section, '');
  const undocumented = listed.filter((code) => !elsewhere.includes(`\`${code}\``));
  assert.deepEqual(undocumented, []);
});

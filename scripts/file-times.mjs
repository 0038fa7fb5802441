/**
 * Prints the per-file times that test/e2e/file-times-reporter.mjs wrote (`FILE_TIMES=<path>`),
 * slowest first, one column per browser: `node scripts/file-times.mjs /tmp/t.json [more.json]`;
 * `--tests` then lists each file's tests of 2 s and more, and the failed ones, per browser.
 */
import { readFileSync } from 'node:fs';

/** The Node reporter (test/node/file-times-reporter.mjs) writes `{ file: seconds }`. */
const entries = (json) =>
  Array.isArray(json)
    ? json
    : Object.entries(json).map(([file, seconds]) => ({
        file,
        browser: 'node',
        seconds,
        passed: true,
      }));

const paths = process.argv.slice(2).filter((arg) => arg !== '--tests');
const rows = new Map();
const browsers = new Set();
const tests = [];
for (const path of paths)
  for (const { file, browser, seconds, passed, slowTests = {}, failedTests = [] } of entries(
    JSON.parse(readFileSync(path, 'utf8')),
  )) {
    for (const [title, time] of Object.entries(slowTests))
      tests.push(`${file} [${browser}] ${time.toFixed(1)} s ${title}`);
    for (const title of failedTests) tests.push(`${file} [${browser}] FAILED ${title}`);
    browsers.add(browser);
    const row = rows.get(file) ?? {};
    row[browser] = `${seconds.toFixed(1)}${passed ? '' : ' ✗'}`;
    row.max = Math.max(row.max ?? 0, seconds);
    rows.set(file, row);
  }
const columns = [...browsers];
const sums = columns.map((browser) =>
  [...rows.values()].reduce((sum, row) => sum + (parseFloat(row[browser]) || 0), 0),
);
console.log(`| file | ${columns.join(' | ')} |\n| --- |${columns.map(() => ' ---: |').join('')}`);
for (const [file, row] of [...rows].sort((a, b) => b[1].max - a[1].max))
  console.log(`| ${file} | ${columns.map((browser) => row[browser] ?? '').join(' | ')} |`);
console.log(`| **sum** | ${sums.map((sum) => sum.toFixed(0)).join(' | ')} |`);
if (process.argv.includes('--tests')) console.log(`\n${tests.sort().join('\n')}`);

/**
 * `npm test`: installs what is missing, builds, then runs every check in order and stops at the
 * first failure — types, lint and format, size budgets, generated docs, Node tests, browser tests
 * (Chromium, then Firefox and WebKit side by side).
 *
 * `npm test -- --engine firefox` (or `BROWSERS=firefox npm test`) tests in one engine; further
 * words pick steps by name: `npm test -- --engine webkit browser` runs only the browser tests.
 *
 * `npm run test:faults` (`--faults`) runs the long seeded fault runs that `npm test` leaves out
 * (listed in test/fault-suites.mjs), Node and browser, in the same engines.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCommand, ensureEngines, ensureNodeModules } from './setup.mjs';
import { selectedEngines } from '../test/engines.mjs';
import { faultSuites } from '../test/fault-suites.mjs';

const args = process.argv.slice(2);
const only = [];
const picked = [];
let faults = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--faults') faults = true;
  else if (args[i] === '--engine') picked.push(args[++i] ?? '');
  else if (args[i].startsWith('--engine=')) picked.push(args[i].slice('--engine='.length));
  else only.push(args[i]);
}
if (picked.length) process.env.BROWSERS = picked.join(',');
const engines = selectedEngines();

ensureNodeModules();
const missing = ensureEngines(engines);
// The hub's scale-out tests run against a real redis-server.
ensureCommand('redis-server', 'redis-server');
// The README's nginx configuration is tested in front of a real hub.
ensureCommand('nginx', 'nginx-light');

/** Every Node test file (`*.test.mjs` under test/node/), the fault runs apart. */
const nodeTests = readdirSync('test/node', { recursive: true })
  .map((file) => join('test/node', file))
  .filter((file) => file.endsWith('.test.mjs'))
  .filter((file) => faultSuites.node.includes(file) === faults)
  .sort();

const checks = [
  ['build', 'npm', ['run', '--silent', 'build']],
  ['type check (tests included)', 'npx', ['tsc', '-p', 'tsconfig.test.json']],
  ['lint', 'npx', ['eslint', '--max-warnings=0', '.']],
  ['format', 'npx', ['prettier', '--check', '--log-level=warn', '.']],
  ['size budgets', 'node', ['scripts/size.mjs']],
  ['docs agree with the code', 'node', ['scripts/generate-docs.mjs', '--check']],
];
const steps = [
  ...(faults ? checks.slice(0, 1) : checks),
  [
    faults ? 'node fault runs' : 'node tests',
    'node',
    ['--test', '--test-reporter=spec', ...nodeTests],
    countNodeTests,
  ],
  // Chromium alone, then Firefox and WebKit side by side in one run. Measured here (2 cores, load
  // average 19): all three at once 329 s with timing failures; one after the other 148 + 198 +
  // 182 s; Chromium, then Firefox with WebKit, 148 + 263 s and green.
  ...[['chromium'], ['firefox', 'webkit']]
    .map((group) => group.filter((engine) => engines.includes(engine) && !missing.includes(engine)))
    .filter((group) => group.length)
    .map((group) => [
      `browser ${faults ? 'fault runs' : 'tests'}: ${group.join(' + ')}`,
      'npx',
      ['wtr', '--config', 'web-test-runner.config.mjs'],
      countBrowserTests,
      { BROWSERS: group.join(','), ...(faults && { FAULTS: '1' }) },
    ]),
];

const totals = { passed: 0, failed: 0 };

function countNodeTests(output) {
  totals.passed += Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? 0);
  totals.failed += Number(/ℹ fail (\d+)/.exec(output)?.[1] ?? 0);
}

/** The last progress line of each browser in the run (`WebKit: |███| 19/19 test files | …`). */
function countBrowserTests(output) {
  const last = new Map();
  // eslint-disable-next-line no-control-regex -- terminal escapes around the progress lines
  const plain = output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  for (const [, browser, passed, failed] of plain.matchAll(
    /([A-Za-z]+):\s+\|[^|]*\| \d+\/\d+ test files \| (\d+) passed, (\d+) failed/g,
  ))
    last.set(browser, [Number(passed), Number(failed)]);
  for (const [passed, failed] of last.values()) {
    totals.passed += passed;
    totals.failed += failed;
  }
}

/** Runs a command with its output shown live and also kept, so the totals can be counted. */
function runCounted(command, args, count, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['inherit', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
      if (output.length > 1_000_000) output = output.slice(-100_000);
    });
    child.on('close', (code) => {
      count(output);
      if (code === 0) resolve();
      else reject(new Error(`exit ${code}`));
    });
  });
}

const timings = [];
for (const [name, command, stepArgs, count, env] of steps) {
  if (only.length && !only.some((word) => name.includes(word))) continue;
  console.log(`\n› ${name}`);
  const started = Date.now();
  try {
    if (count) await runCounted(command, stepArgs, count, env);
    else execFileSync(command, stepArgs, { stdio: 'inherit' });
  } catch {
    console.log(
      `\n${[...timings, `${name} ${((Date.now() - started) / 1000).toFixed(1)} s`].join('\n')}`,
    );
    console.error(`\n✗ ${name} failed`);
    console.log(`tests: ${totals.passed} passed, ${Math.max(1, totals.failed)} failed`);
    process.exit(1);
  }
  timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(`\n${timings.join('\n')}`);
if (missing.length) console.warn(`\n⚠ NOT tested in ${missing.join(', ')} (not installed).`);
console.log('\n✓ all checks passed');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`);

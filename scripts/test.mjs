/**
 * `npm test`: installs what is missing, builds, then runs every check in order and stops at the
 * first failure — types, lint and format, size budgets, generated docs, Node tests, browser tests.
 *
 * `npm run test:faults` (`--faults`): the build, then only the long seeded fault runs that
 * `npm test` leaves out (test/fault-suites.mjs), Node and browser. Other words pick steps by name.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChrome, ensureCommand, ensureNodeModules } from './setup.mjs';
import { faultSuites } from '../test/fault-suites.mjs';

const args = process.argv.slice(2);
const faults = args.includes('--faults');
const only = args.filter((word) => word !== '--faults');

ensureNodeModules();
ensureChrome();
// The hub's scale-out tests run against a real redis-server.
ensureCommand('redis-server', 'redis-server');
// The README's nginx configuration is tested in front of a real hub.
ensureCommand('nginx', 'nginx-light');

/** The Node test files of this run: every `*.test.mjs` under test/node/, the fault runs apart. */
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
  // The fault runs need only the build (some Node tests run dist/).
  ...(faults ? checks.slice(0, 1) : checks),
  [
    faults ? 'node fault runs' : 'node tests',
    'node',
    ['--test', '--test-reporter=spec', ...nodeTests],
    countNodeTests,
  ],
  [
    faults ? 'browser fault runs' : 'browser tests',
    'npx',
    ['wtr', '--config', 'web-test-runner.config.mjs'],
    countBrowserTests,
    faults ? { FAULTS: '1' } : {},
  ],
];

const totals = { passed: 0, failed: 0 };

function countNodeTests(output) {
  totals.passed += Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? 0);
  totals.failed += Number(/ℹ fail (\d+)/.exec(output)?.[1] ?? 0);
}

function countBrowserTests(output) {
  const all = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].at(-1);
  totals.passed += Number(all?.[1] ?? 0);
  totals.failed += Number(all?.[2] ?? 0);
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

const times = [];
const printTimes = () =>
  console.log(times.map(([name, s]) => `  ${name}: ${s.toFixed(0)} s`).join('\n'));
for (const [name, command, stepArgs, count, env] of steps) {
  if (only.length && !only.some((word) => name.includes(word))) continue;
  console.log(`\n› ${name}`);
  const began = performance.now();
  try {
    if (count) await runCounted(command, stepArgs, count, env);
    else execFileSync(command, stepArgs, { stdio: 'inherit' });
    times.push([name, (performance.now() - began) / 1000]);
  } catch {
    times.push([name, (performance.now() - began) / 1000]);
    printTimes();
    console.error(`\n✗ ${name} failed`);
    console.log(`tests: ${totals.passed} passed, ${Math.max(1, totals.failed)} failed`);
    process.exit(1);
  }
}
printTimes();
console.log(faults ? '\n✓ all fault runs passed' : '\n✓ all checks passed');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`);

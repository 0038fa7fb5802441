/**
 * `npm test`: installs what is missing, builds, then runs every check in order and stops at the
 * first failure — types, lint and format, size budgets, generated docs, Node tests, browser tests.
 */
import { execFileSync, spawn } from 'node:child_process';
import { ensureChrome, ensureCommand, ensureNodeModules } from './setup.mjs';

ensureNodeModules();
ensureChrome();
// The hub's scale-out tests run against a real redis-server.
ensureCommand('redis-server', 'redis-server');
// The README's nginx configuration is tested in front of a real hub.
ensureCommand('nginx', 'nginx-light');

const steps = [
  ['build', 'npm', ['run', '--silent', 'build']],
  ['type check (tests included)', 'npx', ['tsc', '-p', 'tsconfig.test.json']],
  ['lint', 'npx', ['eslint', '--max-warnings=0', '.']],
  ['format', 'npx', ['prettier', '--check', '--log-level=warn', '.']],
  ['size budgets', 'node', ['scripts/size.mjs']],
  ['docs agree with the code', 'node', ['scripts/generate-docs.mjs', '--check']],
  ['node tests', 'node', ['--test', '--test-reporter=spec', 'test/node/'], countNodeTests],
  ['browser tests', 'npx', ['wtr', '--config', 'web-test-runner.config.mjs'], countBrowserTests],
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
function runCounted(command, args, count) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'inherit'] });
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

const only = process.argv.slice(2);
for (const [name, command, args, count] of steps) {
  if (only.length && !only.some((word) => name.includes(word))) continue;
  console.log(`\n› ${name}`);
  try {
    if (count) await runCounted(command, args, count);
    else execFileSync(command, args, { stdio: 'inherit' });
  } catch {
    console.error(`\n✗ ${name} failed`);
    console.log(`tests: ${totals.passed} passed, ${Math.max(1, totals.failed)} failed`);
    process.exit(1);
  }
}
console.log('\n✓ all checks passed');
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`);

/**
 * A wtr reporter that records how long each test file took in each browser (from INITIALIZING to
 * FINISHED of its session) and, with `FILE_TIMES=<path>`, writes them there as JSON at the end
 * (`node scripts/file-times.mjs <path>` prints the slowest). A dev tool for keeping `npm test`
 * under its 10 minutes: `FILE_TIMES=/tmp/t.json BROWSERS=firefox npx wtr --config
 * web-test-runner.config.mjs`.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import os from 'node:os';

function slowTests(suite, path = [], found = {}) {
  for (const test of suite?.tests ?? [])
    if ((test.duration ?? 0) >= 2000)
      found[[...path, test.name].join(' › ')] = test.duration / 1000;
  for (const child of suite?.suites ?? []) slowTests(child, [...path, child.name], found);
  return found;
}

function failedTests(suite, path = [], found = []) {
  for (const test of suite?.tests ?? [])
    if (!test.passed && !test.skipped) found.push([...path, test.name].join(' › '));
  for (const child of suite?.suites ?? []) failedTests(child, [...path, child.name], found);
  return found;
}

export function fileTimesReporter(path) {
  const started = new Map();
  const times = [];
  return {
    start({ sessions }) {
      // The first files may be initializing already: they count from here.
      const now = Date.now();
      for (const session of sessions.all()) started.set(session.id, now);
      sessions.on('session-status-updated', (session) => {
        if (session.status === 'INITIALIZING') started.set(session.id, Date.now());
        if (session.status === 'FINISHED')
          times.push({
            file: relative(process.cwd(), session.testFile),
            browser: session.browser.name,
            seconds: (Date.now() - started.get(session.id)) / 1000,
            passed: session.passed,
            load: os.loadavg()[0],
            // Tests of 2 s and more, by full title, in seconds.
            slowTests: slowTests(session.testResults),
            failedTests: failedTests(session.testResults),
          });
        // Written as it goes: a run stopped half-way still tells where its time went.
        if (session.status === 'FINISHED') writeFileSync(path, JSON.stringify(times, null, 1));
      });
    },
    stop() {
      writeFileSync(path, JSON.stringify(times, null, 1));
    },
  };
}

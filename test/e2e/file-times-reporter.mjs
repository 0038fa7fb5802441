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

export function fileTimesReporter(path) {
  const started = new Map();
  const times = [];
  return {
    start({ sessions }) {
      sessions.on('session-status-updated', (session) => {
        if (session.status === 'INITIALIZING') started.set(session.id, Date.now());
        if (session.status === 'FINISHED' && started.has(session.id))
          times.push({
            file: relative(process.cwd(), session.testFile),
            browser: session.browser.name,
            seconds: (Date.now() - started.get(session.id)) / 1000,
            passed: session.passed,
            load: os.loadavg()[0],
          });
      });
    },
    stop() {
      writeFileSync(path, JSON.stringify(times, null, 1));
    },
  };
}

import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import puppeteerCore from 'puppeteer-core';
import { chromeArgs, findChrome } from './scripts/find-chrome.mjs';
import { findFirefox, firefoxPrefs } from './scripts/find-firefox.mjs';
import { findWebKit } from './scripts/find-webkit.mjs';
import { WebKitLauncher } from './test/e2e/webkit-launcher.mjs';
import { engineGaps, selectedEngines } from './test/engines.mjs';
import { readdirSync, readFileSync } from 'node:fs';
import { faultMark, faultSuites } from './test/fault-suites.mjs';
import { fileTimesReporter } from './test/e2e/file-times-reporter.mjs';
import { tabsPlugin } from './test/e2e/tabs-plugin.mjs';
import { hubPlugin } from './test/e2e/hub-plugin.mjs';
import { hubClusterPlugin } from './test/e2e/hub-cluster-plugin.mjs';
import { http2Tls, hubHttp2Plugin } from './test/e2e/hub-http2-plugin.mjs';
import { drainPlugin } from './test/e2e/drain-plugin.mjs';
import { sseTestServer } from './test/e2e/sse-test-server.mjs';
import { wsTestServer } from './test/e2e/ws-test-server.mjs';
import { swTestServer } from './test/e2e/sw-test-server.mjs';
import { pollTestServer } from './test/e2e/poll-test-server.mjs';
import { reactPackages, svelteCompiler, vueBrowserBuild } from './test/e2e/framework-plugins.mjs';

const serviceWorkers = swTestServer();
const polling = pollTestServer();

const hub = hubPlugin();
const draining = drainPlugin();
const misbehaving = sseTestServer();

/**
 * Every engine by default; `BROWSERS=firefox` (or `npm test -- --engine firefox`) runs one. A
 * missing engine fails the run with CI=true; elsewhere it is left out with a warning.
 */
const launchers = {
  chromium() {
    const executablePath = findChrome();
    if (!executablePath) return 'No Chrome or Chromium found: install one or set CHROME_PATH.';
    return chromeLauncher({ launchOptions: { executablePath, headless: true, args: chromeArgs } });
  },
  firefox() {
    const executablePath = findFirefox();
    if (!executablePath) return 'No Firefox found: install firefox-esr or set FIREFOX_PATH.';
    // puppeteer-core drives Firefox over WebDriver BiDi (no geckodriver needed).
    return chromeLauncher({
      puppeteer: puppeteerCore,
      launchOptions: {
        browser: 'firefox',
        executablePath,
        headless: true,
        extraPrefsFirefox: firefoxPrefs,
        // Not subscribed to WebDriver BiDi's network events (each request and response of every
        // page, reported by the remote agent in Firefox's parent process; that process took 395
        // of the suite's 730 CPU-s). The whole Firefox suite alone, measured here: 730 CPU-s and
        // 581 s with them, 607 CPU-s and 509 s without. (The tabs plugin's failed-request list,
        // used only in error messages, stays empty in Firefox.)
        networkEnabled: false,
      },
    });
  },
  webkit() {
    if (!findWebKit()) return 'No WebKitGTK found: install webkit2gtk-driver and xvfb.';
    // The HTTP/2 test server's self-signed certificate (hub-http2.test.ts).
    return new WebKitLauncher(undefined, { certificates: http2Tls.certificates });
  },
};

const browsers = [];
for (const engine of selectedEngines()) {
  const launcher = launchers[engine]();
  if (typeof launcher !== 'string') browsers.push(launcher);
  else if (process.env.CI) throw new Error(`${launcher} (CI never skips an engine)`);
  else console.warn(`\n⚠ ${launcher} Its tests are NOT run.\n`);
}
if (!browsers.length) throw new Error('No browser to test in.');

for (const gap of engineGaps) {
  if (!selectedEngines().includes(gap.engine)) continue;
  console.log(
    `ℹ not in ${gap.engine}: ${gap.file}${gap.test ? ` › ${gap.test}` : ''} — ${gap.reason}`,
  );
}

// The mark is written twice (the browser side cannot import this .mjs): a fault run whose mark
// differed would run in `npm test`, not in the fault runs.
// A file with marked tests that is not listed would have them run nowhere.
const listed = [...faultSuites.browser, ...faultSuites.browserMarked];
for (const file of readdirSync('test', { recursive: true })) {
  const path = `test/${file}`;
  if (!/\.test\.tsx?$/.test(path) || listed.includes(path)) continue;
  if (readFileSync(path, 'utf8').includes('faultRun('))
    throw new Error(`${path} has fault runs: list it in test/fault-suites.mjs (browserMarked)`);
}
if (!readFileSync('test/helpers.ts', 'utf8').includes(`\`\${title} ${faultMark}\``))
  throw new Error(`test/helpers.ts faultRun() must mark titles with ${faultMark}`);

/** Lit's dev-mode notice is printed by every test page: show it once. */
let litNoticeShown = false;
const filterBrowserLogs = ({ args }) => {
  if (!String(args[0]).includes('Lit is in dev mode')) return true;
  if (litNoticeShown) return false;
  litNoticeShown = true;
  return true;
};

export default {
  filterBrowserLogs,
  // FAULTS=1 (`npm run test:faults`): only the long fault runs (titles ending with the mark);
  // otherwise all but them. `--files` on the command line still picks any one file.
  files: process.env.FAULTS
    ? [...faultSuites.browser, ...faultSuites.browserMarked]
    : ['test/**/*.test.ts', 'test/**/*.test.tsx', ...faultSuites.browser.map((file) => `!${file}`)],
  // Svelte's browser build (its default export condition is the server build).
  nodeResolve: { exportConditions: ['browser', 'development'] },
  concurrency: 1,
  testFramework: { config: { timeout: 60_000 } },
  // Which tests a page runs (test/helpers.ts, `faultRun`): only the long fault runs
  // (`npm run test:faults`) or all but them. mocha's own `grep` cannot do it: wtr reports each
  // test that grep left out as failed.
  testRunnerHtml: (testFramework) =>
    `<!DOCTYPE html><html><head><script>window.faultRuns = ${!!process.env.FAULTS};</script></head>` +
    `<body><script type="module" src="${testFramework}"></script></body></html>`,
  // Whole-file limits (defaults: 2 min to finish, 20 s to start, 30 s to launch). Under load on
  // a 2-core machine broadcastchannel-wpt-redteam took 85 s and -contexts 72 s, each alone: one
  // more loaded minute and a whole file fails with "did not finish within 120000ms" although no
  // test did. Each test keeps its own timeout; these only catch a file that hangs.
  testsFinishTimeout: 600_000,
  // A page that has not started its tests: CI saw cdn.test.ts miss 60 s once (it passes in 6 s
  // alone) while the Node lane's pack and demo tests started their browsers and builds.
  testsStartTimeout: 180_000,
  browserStartTimeout: 60_000,
  browsers,
  // FILE_TIMES=<path>: also write each file's time per browser there (test/e2e/file-times-reporter.mjs);
  // `%s` in it stands for the engines of the run.
  ...(process.env.FILE_TIMES && {
    reporters: [
      defaultReporter(),
      fileTimesReporter(process.env.FILE_TIMES.replace('%s', selectedEngines().join('+'))),
    ],
  }),
  middleware: [
    // Opaque-origin frames (sandboxed iframes) load the library from this server too.
    function allowAnyOrigin(context, next) {
      context.set('Access-Control-Allow-Origin', '*');
      return next();
    },
    hub.middleware,
    draining.middleware,
    misbehaving.middleware,
    serviceWorkers.middleware,
    polling.middleware,
  ],
  plugins: [
    esbuildPlugin({ ts: true, tsx: true, target: 'es2021', tsconfig: 'tsconfig.json' }),
    svelteCompiler(),
    vueBrowserBuild(),
    ...reactPackages,
    tabsPlugin(),
    hub,
    hubClusterPlugin(),
    hubHttp2Plugin(),
    draining,
    misbehaving,
    wsTestServer(),
    serviceWorkers,
    polling,
  ],
};

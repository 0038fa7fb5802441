/**
 * The browser engines the suite runs in, and the ONE list of what cannot run in one of them.
 *
 * Every test file runs in every engine. An entry in `engineGaps` names an engine, a file and
 * (optionally) a part of a test's full title, with the reason; the runner prints the list at
 * start, and each such test is reported as skipped with its reason in that engine. The README's
 * "Browser support" table agrees with this list.
 */

export const engines = ['chromium', 'firefox', 'webkit'];

/**
 * @type {{ engine: 'chromium' | 'firefox' | 'webkit', file: string, test?: string, reason: string }[]}
 */
export const engineGaps = [
  {
    engine: 'firefox',
    file: 'test/page-lifecycle.test.ts',
    test: 'with its connection open',
    reason:
      'Firefox 153 keeps a page with an open EventSource, WebSocket or fetch out of the ' +
      'back/forward cache: it decides when the navigation starts, so closing them on ' +
      'beforeunload or pagehide is too late (verified without automation: a bare page is ' +
      'restored, the same page with one open stream is loaded again). A <poll-feed> between ' +
      'two polls is cached, and its bfcache test runs in Firefox',
  },
  {
    engine: 'firefox',
    file: 'test/sw-relay-bfcache.test.ts',
    test: 'the browser stopped the worker',
    reason:
      'Firefox 153 has no automation command that stops a service worker (WebDriver BiDi has ' +
      'none; only about:debugging does), and waiting out its idle timeout (dom.serviceWorkers.' +
      'idle_timeout, 30,000 ms in its greprefs.js) is too slow for ' +
      'the suite. Chromium stops it through DevTools (ServiceWorker.stopAllWorkers)',
  },
  {
    engine: 'webkit',
    file: 'test/sw-relay-bfcache.test.ts',
    test: 'the browser stopped the worker',
    reason:
      'WebDriver classic (WebKitWebDriver) has no command that stops a service worker. Chromium ' +
      'stops it through DevTools (ServiceWorker.stopAllWorkers)',
  },
  {
    engine: 'webkit',
    file: 'test/poll-feed.test.ts',
    test: 'makes no request while offline and polls at once on online',
    reason: 'WebDriver classic (WebKitWebDriver) has no network emulation to go offline',
  },
  {
    engine: 'webkit',
    file: 'test/reconnect-controller.test.ts',
    test: 'makes no attempt while offline and one at once on online',
    reason: 'WebDriver classic (WebKitWebDriver) has no network emulation to go offline',
  },
];

/** The engines chosen for this run: `BROWSERS=firefox,webkit` or `--engine` via scripts/test.mjs. */
export function selectedEngines(value = process.env.BROWSERS) {
  if (!value) return engines;
  const chosen = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((name) => name.toLowerCase());
  const unknown = chosen.filter((name) => !engines.includes(name));
  if (unknown.length)
    throw new Error(`Unknown engine ${unknown.join(', ')}: use ${engines.join(', ')}.`);
  return chosen;
}

/** The engine behind a test-runner session's launcher. */
export function engineOf(browser) {
  if (browser.type === 'webdriver') return 'webkit';
  return /firefox/i.test(browser.name) ? 'firefox' : 'chromium';
}

/** The gaps that apply to one test file in one engine (paths relative to the project root). */
export function gapsFor(engine, testFile, root = process.cwd()) {
  const relative = testFile.startsWith(root) ? testFile.slice(root.length + 1) : testFile;
  return engineGaps.filter((gap) => gap.engine === engine && gap.file === relative);
}

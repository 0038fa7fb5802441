/**
 * Real tabs in each engine for the demo test, behind one small interface: Chromium and Firefox
 * through puppeteer-core (Firefox over WebDriver BiDi), WebKitGTK's MiniBrowser through
 * WebKitWebDriver with webdriverio (WebDriver classic: one session, one window at a time).
 *
 * A tab: `evaluate(fn, ...args)`, `waitFor(fn, { timeout, polling }, ...args)`, `type(selector,
 * text)`, `click(selector)`, `reload()`, `front()`, `url()`, `errors()` (errors the page threw),
 * `failed()` (its requests answered with a status of 400 or more), `close()`.
 */
import puppeteer from 'puppeteer-core';
import { remote } from 'webdriverio';
import { chromeArgs, findChrome } from '../../scripts/find-chrome.mjs';
import { findFirefox, firefoxPrefs } from '../../scripts/find-firefox.mjs';
import { findWebKit } from '../../scripts/find-webkit.mjs';
import { startWebKitDriver, webkitCapabilities } from '../../scripts/webkit-driver.mjs';

/**
 * Records the page's uncaught errors in `window.__pageErrors`. The demo test's server puts it
 * first in every page it serves (WebDriver classic has no page-error event); otherwise it is
 * run once the page has loaded.
 */
export const errorRecorder = `
  if (!window.__pageErrors) {
    window.__pageErrors = [];
    addEventListener('error', (e) => window.__pageErrors.push(String(e.message)));
    addEventListener('unhandledrejection', (e) =>
      window.__pageErrors.push(String((e.reason && e.reason.message) || e.reason)));
  }`;

/** Where each engine is, or undefined when it is not installed. */
export const installed = {
  chromium: () => findChrome(),
  firefox: () => findFirefox(),
  webkit: () => findWebKit(),
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Launches `engine` headless (WebKit under its own Xvfb). */
export function launch(engine) {
  return engine === 'webkit' ? launchWebKit() : launchPuppeteer(engine);
}

async function launchPuppeteer(engine) {
  const browser = await puppeteer.launch(
    engine === 'firefox'
      ? {
          browser: 'firefox',
          executablePath: findFirefox(),
          headless: true,
          // A user's Firefox blocks popups that no click opened: so does this one.
          extraPrefsFirefox: { ...firefoxPrefs, 'dom.disable_open_during_load': true },
        }
      : { executablePath: findChrome(), args: chromeArgs, headless: true },
  );
  const known = new WeakSet();
  const wrap = (page) => {
    known.add(page);
    const errors = [];
    const failed = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    return {
      page,
      evaluate: (fn, ...args) => page.evaluate(fn, ...args),
      waitFor: async (fn, options, ...args) =>
        (
          await page.waitForFunction(fn, { polling: 50, timeout: 15_000, ...options }, ...args)
        ).jsonValue(),
      type: (selector, text) => page.type(selector, text),
      click: (selector) => page.click(selector),
      reload: () => page.reload({ waitUntil: 'load' }),
      front: () => page.bringToFront(),
      // Firefox keeps about:blank as a popup's page.url(): ask the page.
      url: () => page.evaluate(() => location.href),
      errors: async () => errors.slice(),
      failed: async () => failed.slice(),
      close: () => page.close(),
    };
  };
  return {
    engine,
    async open(url) {
      const tab = wrap(await browser.newPage());
      await tab.page.goto(url, { waitUntil: 'load' });
      return tab;
    },
    /** A window the pages opened themselves (a popup), found by a part of its URL. */
    async popup(urlIncludes, timeout = 15_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        for (const page of await browser.pages()) {
          if (known.has(page)) continue;
          const href = await page.evaluate(() => location.href).catch(() => '');
          if (href.includes(urlIncludes)) return wrap(page);
        }
        if (Date.now() > deadline) throw new Error(`${engine}: no popup at ${urlIncludes}`);
        await sleep(50);
      }
    },
    close: () => browser.close(),
  };
}

async function launchWebKit() {
  const paths = findWebKit();
  const driverProcess = await startWebKitDriver(paths);
  let driver;
  try {
    // No --javascript-can-open-windows-automatically: popups open from a click, as for a user.
    driver = await remote({
      hostname: '127.0.0.1',
      port: driverProcess.port,
      logLevel: 'error',
      // A command is never sent twice behind a test's back (a retried `POST /window` outlived
      // its session in run 12g).
      connectionRetryCount: 0,
      capabilities: webkitCapabilities(paths),
    });
  } catch (error) {
    driverProcess.stop();
    throw error;
  }
  // The session's first window stays open and empty: closing the last window ends the session.
  const home = await driver.getWindowHandle();
  const known = new Set([home]);
  let queue = Promise.resolve();
  let current = home;
  let closed = false;
  /** One command sequence at a time, each in its own window (a switch only when it changes). */
  const inWindow = (handle, fn) => {
    // After close(): a poll a finished test left running gets no answer, and no rejection of a
    // session that is gone (a clean-clone run failed on one as unhandled, all tests passed).
    if (closed) return new Promise(() => {});
    const run = queue.then(async () => {
      if (current !== handle) {
        current = undefined;
        await driver.switchToWindow(handle);
        current = handle;
      }
      return fn();
    });
    queue = run.catch(() => {});
    // A command still under way when the session closes (a test that ended without awaiting
    // it) is rejected with "invalid session id": no one waits for it any more (run 12g).
    return run.catch((error) => (closed ? new Promise(() => {}) : Promise.reject(error)));
  };
  // Errors thrown before the recorder ran are lost; the demo test's server sends it first. A
  // tab a command opened gets `storage` events only once it has touched localStorage itself.
  const instrument = () => driver.execute(`${errorRecorder}; try { localStorage.length } catch {}`);
  const wrap = (handle) => ({
    evaluate: (fn, ...args) => inWindow(handle, () => driver.execute(fn, ...args)),
    async waitFor(fn, { timeout = 15_000, polling = 50 } = {}, ...args) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const value = await inWindow(handle, () => driver.execute(fn, ...args));
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`webkit: timed out waiting for ${fn}`);
        await sleep(polling);
      }
    },
    type: (selector, text) =>
      inWindow(handle, async () => (await driver.$(selector)).addValue(text)),
    click: (selector) => inWindow(handle, async () => (await driver.$(selector)).click()),
    reload: () =>
      inWindow(handle, async () => {
        await driver.refresh();
        await instrument();
      }),
    // switchToWindow brings the window to the front.
    front: () => inWindow(handle, async () => {}),
    url: () => inWindow(handle, () => driver.getUrl()),
    errors: () => inWindow(handle, () => driver.execute(() => window.__pageErrors.slice())),
    /** No response statuses over WebDriver classic: the page's files are asked again from here. */
    async failed() {
      const urls = await inWindow(handle, () =>
        driver.execute(() => [
          location.href,
          ...performance
            .getEntriesByType('resource')
            .filter((entry) => ['script', 'link', 'other', 'img'].includes(entry.initiatorType))
            .map((entry) => entry.name),
        ]),
      );
      const failed = [];
      for (const url of new Set(urls)) {
        const response = await fetch(url);
        await response.body?.cancel();
        if (response.status >= 400) failed.push(`${response.status} ${url}`);
      }
      return failed;
    },
    close: () =>
      inWindow(handle, async () => {
        current = undefined;
        // Straight to the driver, not `driver.closeWindow()`: webdriverio answers that command by
        // switching to another window itself, un-awaited, and that switch rejected unhandled
        // once the session had closed (clean-clone run 13b, all demo tests passed).
        const url = `http://127.0.0.1:${driverProcess.port}/session/${driver.sessionId}/window`;
        const response = await fetch(url, { method: 'DELETE' });
        const body = await response.text();
        if (!response.ok) throw new Error(`webkit: closing a window: ${response.status} ${body}`);
        known.delete(handle);
      }),
  });
  return {
    engine: 'webkit',
    async open(url) {
      const handle = await inWindow(current ?? home, async () => {
        // A window, not a tab: a background tab of MiniBrowser would not run its timers.
        const { handle } = await driver.createWindow('window');
        known.add(handle);
        await driver.switchToWindow(handle);
        current = handle;
        await driver.navigateTo(url);
        await instrument();
        return handle;
      });
      return wrap(handle);
    },
    async popup(urlIncludes, timeout = 15_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        for (const handle of await driver.getWindowHandles()) {
          if (known.has(handle)) continue;
          const url = await inWindow(handle, () => driver.getUrl()).catch(() => '');
          if (!url.includes(urlIncludes)) continue;
          known.add(handle);
          await inWindow(handle, instrument);
          return wrap(handle);
        }
        if (Date.now() > deadline) throw new Error(`webkit: no popup at ${urlIncludes}`);
        await sleep(50);
      }
    },
    async close() {
      closed = true;
      await queue; // the commands already queued end first
      await driver.deleteSession().catch(() => {});
      driverProcess.stop();
    },
  };
}

/**
 * Extra tabs over WebDriver classic (WebKitGTK's WebKitWebDriver), for the test-runner
 * commands in tabs-plugin.mjs. One webdriverio session drives every window, so each command
 * switches to its window and always back to the test page's, one command at a time.
 */

// Evaluates arguments[0] like puppeteer's page.evaluate(string): statements allowed, the
// completion value returned, a promise awaited. Errors the page threw since load come along.
const evaluate = `
  const done = arguments[arguments.length - 1];
  const errors = () => (window.__tabErrors || []).splice(0);
  Promise.resolve()
    .then(() => (0, eval)(arguments[0]))
    .then(
      // As puppeteer: what JSON cannot carry (functions, DOM nodes, cycles) comes back as null.
      (value) => {
        try {
          value = value === undefined ? null : JSON.parse(JSON.stringify(value) ?? 'null');
        } catch {
          value = null;
        }
        done({ value, errors: errors() });
      },
      (error) => done({ thrown: String((error && error.message) || error), errors: errors() }),
    );`;

// Page errors: there is no pageerror event over WebDriver classic, so the tab records them.
// WebKit only sends a tab `storage` events once it has touched localStorage itself.
const instrument = `
  if (!window.__tabErrors) {
    window.__tabErrors = [];
    addEventListener('error', (e) => window.__tabErrors.push(String(e.message)));
    addEventListener('unhandledrejection', (e) =>
      window.__tabErrors.push(String((e.reason && e.reason.message) || e.reason)));
  }
  try { localStorage.length; } catch {}
  return true;`;

const silenceUnload = `
  for (const type of ['beforeunload', 'pagehide', 'unload', 'visibilitychange'])
    for (const target of [window, document])
      target.addEventListener(type, (e) => e.stopImmediatePropagation(), true);
  return true;`;

export class WebDriverTabs {
  constructor(driver) {
    this.driver = driver;
    this.queue = Promise.resolve();
    this.main = undefined;
  }

  /** Runs `fn` alone, with the driver back on the test page's window afterwards. */
  exclusive(fn) {
    const run = this.queue.then(async () => {
      this.main ??= await this.driver.getWindowHandle();
      try {
        return await fn();
      } finally {
        await this.driver.switchToWindow(this.main).catch(() => {});
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  async waitReady(ready, timeout = 10_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const ok = await this.driver
        .executeScript('return !!(0, eval)(arguments[0]);', [ready])
        .catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${ready}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A new top-level window (not a background tab: it must stay visible and its timers run). */
  open(url, ready) {
    return this.exclusive(async () => {
      const { handle } = await this.driver.createWindow('window');
      await this.driver.switchToWindow(handle);
      await this.driver.navigateTo(url);
      await this.driver.executeScript(instrument, []);
      if (ready) await this.waitReady(ready);
      return handle;
    });
  }

  /** A window the test page opened itself, found by a part of its URL. */
  find(urlIncludes, known, ready) {
    return this.exclusive(async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        for (const handle of await this.driver.getWindowHandles()) {
          if (handle === this.main || known.has(handle)) continue;
          await this.driver.switchToWindow(handle);
          if (!(await this.driver.getUrl()).includes(urlIncludes)) continue;
          await this.driver.executeScript(instrument, []);
          if (ready) await this.waitReady(ready);
          return handle;
        }
        if (Date.now() > deadline) throw new Error(`No window with ${urlIncludes}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  }

  eval(handle, expression) {
    return this.exclusive(async () => {
      await this.driver.switchToWindow(handle);
      await this.driver.setTimeouts(undefined, undefined, 120_000);
      const result = await this.driver.executeAsyncScript(evaluate, [expression]);
      if (result.thrown) throw new Error(result.thrown);
      if (result.errors?.length) throw new Error(`Tab threw: ${result.errors.join('; ')}`);
      return result.value;
    });
  }

  /** Navigates a window to a URL, 'back' or 'forward', then waits for `ready`. */
  navigate(handle, to, ready) {
    return this.exclusive(async () => {
      await this.driver.switchToWindow(handle);
      await this.driver.executeScript(`${navigateScript(to)}; return true;`, []);
      await this.waitReady(navigatedScript(ready));
      await this.driver.executeScript(instrument, []);
    });
  }

  errors(handle) {
    return this.exclusive(async () => {
      await this.driver.switchToWindow(handle);
      return this.driver.executeScript('return (window.__tabErrors || []).slice();', []);
    });
  }

  /** Closes a window; `crash`: its unload events never reach the page (a crash's effect). */
  close(handle, { crash = false } = {}) {
    return this.exclusive(async () => {
      if (!(await this.driver.getWindowHandles()).includes(handle)) return;
      try {
        await this.driver.switchToWindow(handle);
        if (crash) await this.driver.executeScript(silenceUnload, []);
        await this.driver.closeWindow();
      } catch (error) {
        // Gone meanwhile (a popup that closed itself) is closed all the same.
        if ((await this.driver.getWindowHandles()).includes(handle)) throw error;
      }
    });
  }

  /** Every window but the test page's (tabs and popups a test left open). */
  closeOthers() {
    return this.exclusive(async () => {
      for (const handle of await this.driver.getWindowHandles()) {
        if (handle === this.main) continue;
        // A popup may close itself meanwhile.
        await this.driver
          .switchToWindow(handle)
          .then(() => this.driver.closeWindow())
          .catch(() => {});
      }
    });
  }
}

export { silenceUnload };

/**
 * Starts a navigation from inside a page: `to` is a URL (relative to the page), 'back' or
 * 'forward'. The page notes its own `pagehide`, so the wait below knows it has left.
 */
export const navigateScript = (to) => `
  window.__left = false;
  addEventListener('pagehide', () => (window.__left = true), { once: true });
  setTimeout(() => {
    if (${JSON.stringify(to)} === 'back') history.back();
    else if (${JSON.stringify(to)} === 'forward') history.forward();
    else location.href = new URL(${JSON.stringify(to)}, location.href).href;
  }, 0)`;

/** True once the page has left (a new page, or the old one back from the cache) and is ready. */
export const navigatedScript = (ready) =>
  `window.__left !== false && document.readyState === 'complete' && !!(${ready || 'true'})`;

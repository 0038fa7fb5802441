/**
 * Extra tabs over WebDriver classic (WebKitGTK's WebKitWebDriver), for the test-runner
 * commands in tabs-plugin.mjs. One webdriverio session drives every window and runs one
 * command at a time, so:
 * - every call goes through one queue, which switches to the call's window first (the test
 *   runner's own calls too: its navigations, result reads and key presses must reach the test
 *   page, not a tab the last command left current);
 * - no call holds the session for long: an evaluation is started in the tab and its result read
 *   back by short polls, so a tab waiting 10 s for a condition does not stall the other tabs, the
 *   test page's key presses or a new tab; a page load is bounded (the test page polls for its
 *   tab's readiness itself). The runner fails any command not answered within 20 s.
 */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Page errors: there is no pageerror event over WebDriver classic, so the tab records them.
// WebKit only sends a tab `storage` events once it has touched localStorage itself.
const instrument = `
  if (!window.__tabErrors) {
    window.__tabErrors = [];
    addEventListener('error', (e) => window.__tabErrors.push(String(e.message)));
    addEventListener('unhandledrejection', (e) =>
      window.__tabErrors.push(String((e.reason && e.reason.message) || e.reason)));
  }
  try { localStorage.length; } catch {}`;

// Evaluates arguments[0] like puppeteer's page.evaluate(string) (statements allowed, the
// completion value returned, a promise awaited) into a slot named arguments[1]; answers with
// the result if it settles within 200 ms, else with { pending: true } (read later by takeEval).
const evalSlots = `
  ${instrument}
  if (!window.__tabEval) {
    const slots = new Map();
    window.__tabEval = {
      start(expression, id) {
        slots.set(id, { pending: true });
        const settled = Promise.resolve()
          .then(() => (0, eval)(expression))
          .then(
            // As puppeteer: what JSON cannot carry (functions, DOM nodes, cycles) comes back null.
            (value) => {
              try {
                value = value === undefined ? null : JSON.parse(JSON.stringify(value) ?? 'null');
              } catch {
                value = null;
              }
              slots.set(id, { value });
            },
            (error) => slots.set(id, { thrown: String((error && error.message) || error) }),
          );
        return Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 200))]);
      },
      take(id) {
        const slot = slots.get(id);
        // No slot: the page this started in has gone (a navigation, a reload).
        if (!slot) return { lost: true };
        if (slot.pending) return slot;
        slots.delete(id);
        return { ...slot, errors: window.__tabErrors.splice(0) };
      },
    };
  }`;

const startEval = `
  const done = arguments[arguments.length - 1];
  ${evalSlots}
  window.__tabEval.start(arguments[0], arguments[1]).then(() => done(window.__tabEval.take(arguments[1])));`;

const takeEval = `return window.__tabEval ? window.__tabEval.take(arguments[0]) : { lost: true };`;

const silenceUnload = `
  for (const type of ['beforeunload', 'pagehide', 'unload', 'visibilitychange'])
    for (const target of [window, document])
      target.addEventListener(type, (e) => e.stopImmediatePropagation(), true);
  return true;`;

/** The test runner's own calls on the session (its SessionManager's), queued with ours. */
const runnerCalls = ['startSession', 'stopSession', 'performActions', 'sendKeys', 'takeScreenshot'];

/** Longest a tab command may hold the session: its caller has 20 s in all. */
const callLimit = 15_000;

/** A call slower than this (ms) is reported on the runner's output. */
const slowCall = 5_000;

export class WebDriverTabs {
  /** `manager`: the launcher's SessionManager, whose calls on the session are queued too. */
  constructor(driver, manager) {
    this.driver = driver;
    this.queue = Promise.resolve();
    this.main = undefined;
    this.current = undefined;
    this.nextEval = 1;
    for (const name of runnerCalls) {
      const original = manager?.[name];
      if (typeof original !== 'function') continue;
      manager[name] = (...args) =>
        this.exclusive(undefined, () => original.apply(manager, args), 0);
    }
  }

  /**
   * Runs `fn` alone, on window `handle` (undefined: the test page's); `limit` ms (0: none)
   * bounds it, so one stuck call cannot stall every later command.
   */
  exclusive(handle, fn, limit = callLimit, label = 'call') {
    const run = this.queue.then(async () => {
      const started = Date.now();
      if (this.main === undefined) this.current = this.main = await this.driver.getWindowHandle();
      const target = handle ?? this.main;
      if (this.current !== target) {
        this.current = undefined;
        await this.driver.switchToWindow(target);
        this.current = target;
      }
      if (!limit) return fn();
      let timer;
      return Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            // Still running on the session: which window is current is no longer known.
            this.current = undefined;
            reject(new Error(`WebDriver call on a tab took over ${limit} ms`));
          }, limit);
        }),
      ]).finally(() => {
        clearTimeout(timer);
        // A slow call is the first sign of the engine's trouble: say which one it was.
        const took = Date.now() - started;
        if (took > slowCall) console.warn(`WebKit: WebDriver ${label} took ${took} ms`);
      });
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** Polls `ready` (an expression) in a window, one short call at a time. */
  async waitReady(handle, ready, timeout = 10_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const ok = await this.exclusive(handle, () =>
        this.driver.executeScript('return !!(0, eval)(arguments[0]);', [ready]),
      ).catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${ready}`);
      await sleep(50);
    }
  }

  /**
   * A new top-level window (not a background tab: it must stay visible and its timers run).
   * The load is bounded: a page still loading after that is waited for by the caller's
   * readiness check.
   */
  async open(url, ready) {
    // Making a window and loading its page are not bounded by the command's 20 s any more
    // (tabs-plugin answers `pending` and the test page waits): a loaded machine gets 60 s each
    // (CI saw a MiniBrowser window take over 30 s while the other engines' lanes started).
    const handle = await this.exclusive(
      undefined,
      async () => {
        const { handle } = await this.driver.createWindow('window');
        return handle;
      },
      60_000,
      'new window',
    );
    // Navigated by script, not by WebDriver's navigation command: WebKitWebDriver's command
    // sometimes waited out the whole 60 s for a load (3 times in clean-clone run 13c at load 2,
    // each a test failed), ignoring its page-load timeout, and the session's next commands
    // waited behind it. A script returns at once; the new page is then polled for.
    await this.exclusive(
      handle,
      () => this.driver.executeScript('location.href = arguments[0]; return true;', [url]),
      60_000,
      `navigation to ${url}`,
    );
    await this.waitReady(
      handle,
      `location.href !== 'about:blank' && document.readyState === 'complete'`,
      60_000,
    );
    await this.exclusive(handle, () =>
      this.driver.executeScript(`${instrument}; return true;`, []),
    );
    if (ready) await this.waitReady(handle, ready);
    return handle;
  }

  /** A window the test page opened itself, found by a part of its URL. */
  async find(urlIncludes, known, ready) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const handles = await this.exclusive(undefined, () => this.driver.getWindowHandles());
      for (const handle of handles) {
        if (handle === this.main || known.has(handle)) continue;
        const url = await this.exclusive(handle, () => this.driver.getUrl()).catch(() => '');
        if (!url.includes(urlIncludes)) continue;
        await this.exclusive(handle, () =>
          this.driver.executeScript(`${instrument}; return true;`, []),
        );
        if (ready) await this.waitReady(handle, ready);
        return handle;
      }
      if (Date.now() > deadline) throw new Error(`No window with ${urlIncludes}`);
      await sleep(50);
    }
  }

  async eval(handle, expression) {
    const id = String(this.nextEval++);
    let result = await this.exclusive(handle, () =>
      this.driver.executeAsyncScript(startEval, [expression, id]),
    );
    for (let pause = 20; result?.pending; pause = Math.min(pause * 2, 200)) {
      await sleep(pause);
      result = await this.exclusive(handle, () => this.driver.executeScript(takeEval, [id]));
    }
    // The message puppeteer gives, which Tab.waitFor takes as "poll the new page".
    if (!result || result.lost)
      throw new Error('Execution context was destroyed: the tab navigated while evaluating');
    if (result.thrown) throw new Error(result.thrown);
    if (result.errors?.length) throw new Error(`Tab threw: ${result.errors.join('; ')}`);
    return result.value;
  }

  /** Navigates a window to a URL, 'back' or 'forward', then waits for `ready`. */
  async navigate(handle, to, ready) {
    await this.exclusive(handle, () =>
      this.driver.executeScript(`${navigateScript(to)}; return true;`, []),
    );
    await this.waitReady(handle, navigatedScript(ready));
    await this.exclusive(handle, () =>
      this.driver.executeScript(`${instrument}; return true;`, []),
    );
  }

  errors(handle) {
    return this.exclusive(handle, () =>
      this.driver.executeScript('return (window.__tabErrors || []).slice();', []),
    );
  }

  /** Closes a window; `crash`: its unload events never reach the page (a crash's effect). */
  async close(handle, { crash = false } = {}) {
    const open = await this.exclusive(undefined, () => this.driver.getWindowHandles());
    if (!open.includes(handle)) return;
    await this.exclusive(
      handle,
      async () => {
        if (crash) await this.driver.executeScript(silenceUnload, []);
        this.current = undefined;
        await this.driver.closeWindow();
        // Back on the test page's window at once: the runner's heartbeat reads the current one.
        await this.driver.switchToWindow(this.main);
        this.current = this.main;
      },
      callLimit,
      'window close',
    ).catch(async (error) => {
      // Gone meanwhile (a popup that closed itself) is closed all the same.
      const still = await this.exclusive(undefined, () => this.driver.getWindowHandles());
      if (still.includes(handle)) throw error;
    });
  }

  /** Every window but the test page's (tabs and popups a test left open). */
  async closeOthers() {
    const open = await this.exclusive(undefined, () => this.driver.getWindowHandles());
    for (const handle of open) {
      if (handle === this.main) continue;
      // A popup may close itself meanwhile.
      await this.close(handle).catch(() => {});
    }
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

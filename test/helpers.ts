import { executeServerCommand, sendKeys } from '@web/test-runner-commands';

/** The engine running this page, from its user agent (WebKitGTK reads as Safari). */
export const engine: 'chromium' | 'firefox' | 'webkit' = /Firefox\//.test(navigator.userAgent)
  ? 'firefox'
  : /Chrome\//.test(navigator.userAgent)
    ? 'chromium'
    : 'webkit';

interface EngineGap {
  engine: string;
  file: string;
  test?: string;
  reason: string;
}

// test/engines.mjs lists what cannot run in an engine: those tests are reported as skipped in
// that engine, with the reason, and nowhere else. Root hooks, so every file importing this
// module gets them.
let gaps: EngineGap[] | undefined;
before(async () => {
  gaps ??= (await executeServerCommand<{ gaps: EngineGap[] }, unknown>('engine')).gaps;
});
beforeEach(function () {
  const title = this.currentTest?.fullTitle() ?? '';
  const gap = gaps?.find((entry) => !entry.test || title.includes(entry.test));
  if (!gap) return;
  console.log(`not in ${engine}: ${title} — ${gap.reason}`);
  this.skip();
});

/**
 * Outside Chromium there is no DevTools protocol to count objects or list listeners; this page
 * keeps the same books itself, from before any element runs: BroadcastChannels not yet closed,
 * and listeners on window and document.
 */
const books = {
  channels: new Set<BroadcastChannel>(),
  listeners: new Map<EventTarget, unknown[][]>(),
};
if (engine !== 'chromium') {
  const Native = BroadcastChannel;
  const close = Native.prototype.close;
  window.BroadcastChannel = class extends Native {
    constructor(name: string) {
      super(name);
      books.channels.add(this);
    }
  };
  Native.prototype.close = function (this: BroadcastChannel) {
    books.channels.delete(this);
    return close.call(this);
  };
  for (const target of [window, document] as EventTarget[]) {
    const list: unknown[][] = [];
    books.listeners.set(target, list);
    const add = target.addEventListener;
    const remove = target.removeEventListener;
    const capture = (options?: boolean | EventListenerOptions) =>
      typeof options === 'boolean' ? options : !!options?.capture;
    const find = (type: string, listener: unknown, options?: boolean | EventListenerOptions) =>
      list.findIndex(([t, l, c]) => t === type && l === listener && c === capture(options));
    target.addEventListener = function (type, listener, options) {
      if (listener && find(type, listener, options) < 0) {
        list.push([type, listener, capture(options)]);
        const signal = typeof options === 'object' ? options.signal : undefined;
        signal?.addEventListener('abort', () => {
          const index = find(type, listener, options);
          if (index >= 0) list.splice(index, 1);
        });
      }
      return add.call(this, type, listener, options);
    };
    target.removeEventListener = function (type, listener, options) {
      const index = find(type, listener, options);
      if (index >= 0) list.splice(index, 1);
      return remove.call(this, type, listener, options);
    };
  }
}

/** A real second tab in the test's browser context, driven from the test page. */
export class Tab {
  private constructor(readonly id: string) {}

  /**
   * Opens `url` (relative to the test page) and waits until `ready` (an expression) is true.
   * The wait is polled from here, not inside the opening command: loading a page and running
   * its scripts on a loaded machine may take longer than the 20 s one command has.
   * `acceptInsecureCerts`: the tab accepts the self-signed certificate of a test's TLS server
   * (tabs-plugin.mjs says how, per engine).
   */
  static async open(
    url = '/test/fixtures/tab.html',
    ready = 'window.tabReady === true',
    { steppableClock = false, acceptInsecureCerts = false } = {},
  ): Promise<Tab> {
    const { id, pending } = await executeServerCommand<{ id: string; pending?: boolean }, unknown>(
      'open-tab',
      { url, steppableClock, acceptInsecureCerts },
    );
    // WebKit: the window was still being made when the command had to answer.
    for (let waited = 0; pending && !(await executeServerCommand('tab-opened', { id }));) {
      if ((waited += 8) > 120) throw new Error(`Tab ${id} (${url}) did not open within 120 s`);
    }
    return new Tab(id).ready(ready);
  }

  /** Waits until `ready` is true in the tab; a timeout names its page errors and failed requests. */
  private async ready(ready: string): Promise<this> {
    try {
      await this.waitFor(ready, 30_000);
    } catch (error) {
      const { errors, failed } = await executeServerCommand<
        { errors: string[]; failed: string[] },
        unknown
      >('tab-diagnostics', { id: this.id });
      throw new Error(
        `${(error as Error).message}; page errors: ${errors.join('; ') || 'none'}; failed requests: ${failed.join(', ') || 'none'}`,
      );
    }
    return this;
  }

  /**
   * Steps the wall clock (`Date`, `Date.now`) of a tab opened with `steppableClock` by `ms`
   * (negative: backwards), as NTP or a resume from sleep does; returns the total offset.
   */
  stepClock(ms: number): Promise<number> {
    return this.eval<number>(`window.stepClock(${ms})`);
  }

  /** A page opened by the test page itself (a popup), found by a part of its URL. */
  static async find(urlIncludes: string, ready = 'window.tabReady === true'): Promise<Tab> {
    const { id } = await executeServerCommand<{ id: string }, unknown>('find-tab', {
      urlIncludes,
    });
    return new Tab(id).ready(ready);
  }

  /** Evaluates an expression (awaited if it is a promise) in the tab and returns its JSON value. */
  async eval<T = unknown>(expression: string): Promise<T> {
    // Commands that return null count as unhandled, so the value travels wrapped.
    const { value } = await executeServerCommand<{ value: T }, unknown>('tab-eval', {
      id: this.id,
      expression,
    });
    return value;
  }

  /**
   * Polls `expression` (a check without side effects) in the tab until it is truthy; returns its
   * value. A page that navigates meanwhile (a reload the test caused) is polled again in its new
   * document. Polls in slices of at most 10 s, one command each: the runner fails any command
   * that has not answered within 20 s, so one long poll would fail a wait of 20 s or more.
   */
  async waitFor<T = unknown>(expression: string, timeout = 15_000): Promise<T> {
    const end = performance.now() + timeout;
    let thrown = '';
    for (let navigations = 0; ;) {
      const slice = Math.max(0, Math.min(10_000, end - performance.now()));
      try {
        const result = await this.poll<T>(expression, slice);
        if ('met' in result) return result.value;
        thrown = result.thrown;
      } catch (error) {
        if (navigations++ > 2 || !String(error).includes('Execution context was destroyed'))
          throw error;
      }
      if (performance.now() >= end)
        throw new Error(`Timed out waiting for: ${expression}${thrown}`);
    }
  }

  private poll<T>(
    expression: string,
    timeout: number,
  ): Promise<{ met: true; value: T } | { thrown: string }> {
    return this.eval(`(async () => {
      const end = performance.now() + ${timeout};
      let thrown = '';
      for (;;) {
        // A page that has just loaded may not have run its scripts yet: a throw is a "not yet".
        try {
          const value = (${expression});
          // "met" marks it: a truthy value JSON cannot carry (a class, a node) comes back as
          // null or is dropped, over BiDi and WebDriver classic alike.
          if (value) return { met: true, value };
        } catch (error) {
          thrown = ' (last threw: ' + error + ')';
        }
        if (performance.now() > end) return { thrown };
        await new Promise((r) => setTimeout(r, 10));
      }
    })()`);
  }

  /**
   * Navigates the tab to `to` (relative to its page), or `'back'` / `'forward'` in its history,
   * then waits until `ready` is true. A page kept in the back/forward cache comes back as it was.
   */
  navigate(to: string, ready?: string): Promise<unknown> {
    return executeServerCommand('tab-navigate', { id: this.id, to, ready });
  }

  /**
   * Emulates the tab's network going off or on line (real `online`/`offline` events). Chromium
   * (DevTools) and Firefox (BiDi); WebKitGTK over WebDriver classic cannot.
   */
  setOffline(offline: boolean): Promise<unknown> {
    return executeServerCommand('set-offline', { id: this.id, offline });
  }

  /**
   * Crashes the tab's renderer: it vanishes without unload handlers. Chromium: DevTools
   * `Page.crash`. Firefox and WebKit have no crash command: the tab is closed with its unload
   * events kept from the page, which is what other tabs see of a crash.
   */
  crash(): Promise<boolean> {
    return executeServerCommand<boolean, unknown>('crash-tab', { id: this.id });
  }

  close(): Promise<boolean> {
    return executeServerCommand<boolean, unknown>('close-tab', { id: this.id });
  }
}

/** The hub's open connections (SSE streams, WebSockets, pending long-polls), counted server-side. */
export const hubStats = (): Promise<{ sse: number; ws: number; poll: number }> =>
  executeServerCommand<{ sse: number; ws: number; poll: number }, unknown>('hub-stats');

/**
 * The hub's open connections whose URL includes `includes` (a test's own topic), counted
 * server-side: other tests' connections, still closing, do not move it as they move `hubStats`.
 */
export const hubConnections = (
  includes: string,
): Promise<{ sse: number; ws: number; poll: number }> =>
  executeServerCommand<{ sse: number; ws: number; poll: number }, unknown>('hub-connections', {
    includes,
  });

/**
 * Publishes the numbers 1…`count` to `topic` on the main hub, cutting every hub connection at
 * `cuts` random points. In chunks of 1,000 (with their share of the cuts): one command must
 * answer within the runner's 20 s, however loaded the machine is.
 */
export async function hubStream(topic: string, count: number, cuts: number): Promise<void> {
  for (let from = 1; from <= count; from += 1000) {
    const chunk = Math.min(1000, count - from + 1);
    await executeServerCommand('hub-stream', {
      topic,
      from,
      count: chunk,
      cuts: Math.round((cuts * chunk) / count),
    });
  }
}

/**
 * Types `text` into the focused control with real key events, as a user would. In WebKitGTK one
 * command per character: its WebDriver key actions lost a key out of a longer sequence on a
 * loaded machine ('half a thought' arrived as 'half athought').
 */
export async function typeText(text: string): Promise<void> {
  if (engine !== 'webkit') return sendKeys({ type: text });
  for (const key of text) await sendKeys({ type: key });
}

/** Closes every tab the current test file opened. Use in `afterEach`. */
export const closeAllTabs = (): Promise<unknown> => executeServerCommand('close-all-tabs');

/**
 * Live objects of a prototype (e.g. `'BroadcastChannel.prototype'`) after a full GC, through
 * DevTools in Chromium. Elsewhere only `'BroadcastChannel.prototype'` is known: the channels
 * opened and not yet closed (a leak of an open channel is what the count is for).
 */
export async function countObjects(prototype: string): Promise<number> {
  if (engine === 'chromium')
    return executeServerCommand<number, unknown>('count-objects', { prototype });
  if (prototype !== 'BroadcastChannel.prototype')
    throw new Error(`countObjects(${prototype}): DevTools only, not in ${engine}.`);
  return books.channels.size;
}

/**
 * Event types with listeners on a global (`'window'` or `'document'`): read through DevTools in
 * Chromium, from this page's own books of add/removeEventListener elsewhere.
 */
export async function listenerTypes(target = 'window'): Promise<string[]> {
  if (engine === 'chromium')
    return executeServerCommand<string[], unknown>('event-listeners', { target });
  const list = books.listeners.get(target === 'document' ? document : window);
  if (!list) throw new Error(`listenerTypes(${target}): only window and document.`);
  return list.map(([type]) => type as string);
}

/** Resolves when `predicate` returns a truthy value; rejects after `timeout` ms. */
export async function waitUntil<T>(
  predicate: () => T | Promise<T>,
  timeout = 15_000,
  what = 'condition',
): Promise<T> {
  const end = performance.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (performance.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records every event of the given types an element fires. */
export function record<E extends Event = Event>(target: EventTarget, ...types: string[]): E[] {
  const events: E[] = [];
  for (const type of types) target.addEventListener(type, (event) => events.push(event as E));
  return events;
}

/**
 * Marks a long fault run: a burst past a limit, a hung or crashed tab, a long stream of cuts or
 * expiring credentials, a promise that never settles. `npm test` leaves such tests out (it stays
 * quick); `npm run test:faults`, which CI runs right after it, runs exactly these, in every
 * engine. The mark is the title's end (`faultMark` in test/fault-suites.mjs, which lists the
 * files that hold marked tests); a marked `describe` marks every test in it.
 */
export const faultRun = (title: string): string => `${title} [fault run]`;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Leaves out, just before mocha runs a page's tests, the ones the run does not want: the fault
 * runs in `npm test`, every other test in `npm run test:faults` (`window.faultRuns`, set by
 * web-test-runner.config.mjs). Suites left empty are dropped with their hooks.
 */
function keepOnly(suite: Mocha.Suite, faultRuns: boolean, marked = false): boolean {
  const inMark = marked || suite.title.endsWith(faultRun(''));
  suite.tests = suite.tests.filter(
    (test) => (inMark || test.title.endsWith(faultRun(''))) === faultRuns,
  );
  suite.suites = suite.suites.filter((child) => keepOnly(child, faultRuns, inMark));
  return suite.tests.length > 0 || suite.suites.length > 0;
}
const pageMocha = (globalThis as { mocha?: Mocha }).mocha;
const faultRuns = (globalThis as { faultRuns?: boolean }).faultRuns;
if (pageMocha && typeof faultRuns === 'boolean') {
  const run = pageMocha.run.bind(pageMocha);
  pageMocha.run = (done) => {
    keepOnly(pageMocha.suite, faultRuns);
    return run(done);
  };
}

/** A name no other test (or earlier run) uses. */
export const uniqueName = (prefix = 'test'): string =>
  `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

export const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a module script in an `<iframe sandbox="allow-scripts">` (an opaque origin: no storage, no
 * service workers, no popups) and resolves with what it posts to `parent`. The library loads
 * from this server by absolute URL (the test server allows any origin).
 */
export async function runInOpaqueFrame<T = unknown>(moduleSource: string): Promise<T> {
  const frame = document.createElement('iframe');
  frame.sandbox.add('allow-scripts');
  frame.srcdoc = `<script type="module">${moduleSource}</script>`;
  const reply = new Promise<T>((resolve) =>
    window.addEventListener('message', function listener(event) {
      if (event.source !== frame.contentWindow) return;
      window.removeEventListener('message', listener);
      resolve(event.data as T);
    }),
  );
  document.body.append(frame);
  try {
    return await reply;
  } finally {
    frame.remove();
  }
}

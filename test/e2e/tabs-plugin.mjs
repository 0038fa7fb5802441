/**
 * @web/test-runner commands that drive real extra tabs in the test's own browser context
 * (so they share BroadcastChannel, storage, cookies and service workers with the test page),
 * count live objects through the DevTools protocol, and serve folders from a plain static
 * server on another loopback port.
 *
 * Per engine: Chromium and Firefox are driven through puppeteer (CDP, WebDriver BiDi), WebKitGTK
 * through WebDriver classic (webdriver-tabs.mjs). DevTools-only commands (`count-objects`,
 * `event-listeners`) exist only in Chromium: test/helpers.ts measures the same thing inside the
 * page elsewhere. `crash-tab` is DevTools `Page.crash` in Chromium; elsewhere the tab's unload
 * events are silenced and it is closed, which is what a crash looks like to the other tabs.
 */
import { createServer } from 'node:http';
import { engineOf, gapsFor } from '../engines.mjs';
import {
  WebDriverTabs,
  navigateScript,
  navigatedScript,
  silenceUnload,
} from './webdriver-tabs.mjs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const mimeTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** A static server that knows nothing but the folders it is given (no bare-import resolution). */
async function startStaticServer(mounts) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    // Longest prefix first: payloads do not keep key order.
    const ordered = Object.entries(mounts).sort(([a], [b]) => b.length - a.length);
    for (const [prefix, dir] of ordered) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir)) break;
      try {
        const body = await readFile(file);
        res.writeHead(200, {
          'content-type': mimeTypes[extname(file)] ?? 'application/octet-stream',
        });
        res.end(body);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404).end('not found');
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

/**
 * The one stand-in allowed for the wall clock (CONTRIBUTING.md, How the tests use real browsers): `Date` and `Date.now`
 * replaced before the page's scripts run, by one that `window.stepClock(ms)` moves forwards or
 * backwards. `performance.now()` and timers are left alone, as a real clock step leaves them.
 */
const steppableClock = `(() => {
  const RealDate = Date;
  let offset = 0;
  const now = () => RealDate.now() + offset;
  class SteppedDate extends RealDate {
    constructor(...args) {
      if (args.length) super(...args);
      else super(now());
    }
    static now() {
      return now();
    }
  }
  // Date() called without new returns the current time as a string.
  globalThis.Date = new Proxy(SteppedDate, { apply: () => new SteppedDate().toString() });
  globalThis.stepClock = (ms) => {
    offset += ms;
    return offset;
  };
})();`;

const clockParameter = 'steppable-clock';

/**
 * page.evaluate(string) in Firefox, with the value as JSON, as DevTools gives it in Chromium:
 * over WebDriver BiDi a typed array comes back without its contents (null) and a Map or Set
 * as itself, where the tests compare what JSON would carry.
 */
async function evaluateAsJson(page, expression) {
  const json = await page.evaluate(
    (source) =>
      Promise.resolve((0, eval)(source)).then((value) => {
        try {
          return JSON.stringify(value);
        } catch {
          return undefined; // cycles: null, as the other engines give
        }
      }),
    expression,
  );
  return json === undefined ? null : JSON.parse(json);
}

/**
 * `open-tab` with `acceptInsecureCerts` (a test's own TLS server, self-signed), per engine:
 * Chromium ignores certificate errors in that tab only (DevTools); WebKitGTK trusts, for the
 * whole session, the certificates its launcher was given (WebDriver classic has no per-window
 * switch); Firefox opens the tab in a user context of its own whose pages accept any certificate
 * (WebDriver BiDi `browser.createUserContext` with `acceptInsecureCerts`), made once per
 * browser. Such a Firefox tab shares no storage, BroadcastChannel or cookies with the test page.
 */
const insecureContexts = new WeakMap();
function insecureContext(browser) {
  if (!insecureContexts.has(browser)) {
    // puppeteer-core 24 does not pass the parameter on: it is added to its one request.
    const { connection } = browser;
    const { send } = connection;
    const own = Object.hasOwn(connection, 'send');
    connection.send = (method, params, ...rest) =>
      send.call(
        connection,
        method,
        method === 'browser.createUserContext' ? { ...params, acceptInsecureCerts: true } : params,
        ...rest,
      );
    const created = browser.createBrowserContext().finally(() => {
      if (own) connection.send = send;
      else delete connection.send;
    });
    insecureContexts.set(browser, created);
  }
  return insecureContexts.get(browser);
}

/** The script the dev server adds to every HTML page: it opens the command WebSocket (`/wds`). */
const devServerSocket =
  /(<!-- injected by web-dev-server -->\s*)?<script type="module" src="\/__web-dev-server__web-socket\.js"><\/script>/;

/** Whether `promise` settles (either way) within `ms`. */
const settledWithin = (promise, ms) => {
  let timer;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise((resolve) => (timer = setTimeout(resolve, ms, false))),
  ]).finally(() => clearTimeout(timer));
};

export function tabsPlugin({ root = process.cwd() } = {}) {
  /**
   * puppeteer tabs: {page, errors, owner}; WebDriver windows: {handle, owner}.
   * @type {Map<string, {page?: import('puppeteer-core').Page, handle?: string, errors?: string[], owner: string}>}
   */
  const tabs = new Map();
  let nextId = 1;
  const staticServers = new Map();
  const webDrivers = new WeakMap();

  const tab = (id) => {
    const entry = tabs.get(id);
    if (!entry) throw new Error(`No tab ${id}`);
    return entry;
  };

  /** The WebDriver window manager of a session, or undefined for a puppeteer browser. */
  const windows = (session) => {
    if (session.browser.type !== 'webdriver') return undefined;
    const { driver } = session.browser;
    if (!webDrivers.has(driver))
      webDrivers.set(driver, new WebDriverTabs(driver, session.browser.driverManager));
    return webDrivers.get(driver);
  };

  const chromiumOnly = (session, command) => {
    const engine = engineOf(session.browser);
    if (engine !== 'chromium')
      throw new Error(`${command} needs the DevTools protocol: Chromium only, not ${engine}.`);
  };

  const track = (page, session) => {
    const id = String(nextId++);
    const errors = [];
    page.on('pageerror', (error) => {
      const message = String(error?.message ?? error);
      // Firefox logs a WebSocket that fails to connect or is cut as a script error (over BiDi,
      // puppeteer reports it as one), though nothing was thrown: the tests check the element's
      // own handling of it.
      if (
        /^(Firefox can.t establish a connection to the server at wss?:|The connection to wss?:)/.test(
          message,
        )
      )
        return;
      errors.push(message);
    });
    tabs.set(id, { page, errors, failed: [], owner: session.id });
    return id;
  };

  return {
    name: 'realtime-tabs',
    /**
     * `?steppable-clock` (WebKit's tabs): the clock script runs first, inline in the head. The
     * pages of extra tabs and popups (test/fixtures/) lose the dev server's WebSocket, which only
     * test pages use (for commands), in Firefox: it keeps any page with an open WebSocket out of
     * its back/forward cache, so a tab with it could never be restored from there.
     */
    transform(context) {
      if (!context.response.is('html')) return;
      let body = String(context.body);
      if (context.path.startsWith('/test/fixtures/') && /Firefox\//.test(context.get('user-agent')))
        body = body.replace(devServerSocket, '');
      if (!context.URL.searchParams.has(clockParameter)) return { body };
      const script = `<script>${steppableClock}</script>`;
      const head = /<head[^>]*>/i.exec(body) ?? /<!doctype[^>]*>/i.exec(body);
      const at = head ? head.index + head[0].length : 0;
      return { body: body.slice(0, at) + script + body.slice(at) };
    },
    async serverStop() {
      for (const server of staticServers.values()) (await server).close();
    },
    async executeCommand({ command, payload = {}, session }) {
      switch (command) {
        case 'engine':
          // Which engine runs this test file, and what the suite cannot do in it.
          return {
            engine: engineOf(session.browser),
            gaps: gapsFor(engineOf(session.browser), session.testFile, root),
          };
        case 'open-tab': {
          const driven = windows(session);
          if (driven) {
            const base = await session.browser.getBrowserUrl(session.id);
            const address = new URL(payload.url, base);
            // WebDriver classic has no script-before-the-page: the server puts it first instead.
            if (payload.steppableClock) address.searchParams.set(clockParameter, '');
            const url = address.href;
            // A new MiniBrowser window on a loaded machine can take longer than the 20 s the
            // runner gives a command: answer within 8 s, and the test page awaits the rest with
            // `tab-opened` (test/helpers.ts, Tab.open).
            const opening = driven.open(url, payload.ready);
            const id = String(nextId++);
            const entry = { opening, owner: session.id };
            tabs.set(id, entry);
            opening.then((handle) => (entry.handle = handle)).catch(() => {});
            return { id, url, pending: !(await settledWithin(opening, 8000)) };
          }
          const testPage = session.browser.getPage(session.id);
          const firefoxTls = payload.acceptInsecureCerts && engineOf(session.browser) === 'firefox';
          const context = firefoxTls
            ? await insecureContext(testPage.browser())
            : testPage.browserContext();
          const page = await context.newPage();
          const id = track(page, session);
          const { errors, failed } = tabs.get(id);
          if (payload.acceptInsecureCerts && !firefoxTls) {
            // Chromium: this tab only (DevTools).
            const cdp = await page.createCDPSession();
            await cdp.send('Security.setIgnoreCertificateErrors', { ignore: true });
          }
          if (payload.steppableClock) await page.evaluateOnNewDocument(steppableClock);
          const url = new URL(payload.url, testPage.url()).href;
          page.on('requestfailed', (request) => failed.push(request.url()));
          page.on(
            'response',
            (response) =>
              response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`),
          );
          await page.goto(url, { waitUntil: 'load' });
          if (payload.ready) {
            await page.waitForFunction(payload.ready, { timeout: 10_000 }).catch((error) => {
              throw new Error(
                `${error.message}; page errors: ${errors.join('; ') || 'none'}; failed requests: ${failed.join(', ') || 'none'}`,
              );
            });
          }
          return { id, url };
        }
        case 'find-tab': {
          // A page the test did not open itself (a popup): found by URL, then driven like a tab.
          const driven = windows(session);
          if (driven) {
            const known = new Set([...tabs.values()].map((entry) => entry.handle));
            const handle = await driven.find(payload.urlIncludes, known, payload.ready);
            const id = String(nextId++);
            tabs.set(id, { handle, owner: session.id });
            return { id };
          }
          const testPage = session.browser.getPage(session.id);
          const deadline = Date.now() + 10_000;
          for (;;) {
            const pages = await testPage.browserContext().pages();
            const known = new Set([...tabs.values()].map((entry) => entry.page));
            for (const p of pages) {
              if (p === testPage || known.has(p)) continue;
              // Firefox (BiDi) keeps a popup's p.url() at about:blank: ask the page itself.
              const url = p.url().includes(payload.urlIncludes)
                ? p.url()
                : await p.evaluate(() => location.href).catch(() => '');
              if (!url.includes(payload.urlIncludes)) continue;
              const id = track(p, session);
              if (payload.ready)
                await p.waitForFunction(payload.ready, { timeout: 10_000, polling: 50 });
              return { id };
            }
            if (Date.now() > deadline) throw new Error(`No page with ${payload.urlIncludes}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        case 'tab-eval': {
          const entry = tab(payload.id);
          if (entry.handle)
            return { value: await windows(session).eval(entry.handle, payload.expression) };
          const { page, errors } = entry;
          const value =
            engineOf(session.browser) === 'firefox'
              ? await evaluateAsJson(page, payload.expression)
              : await page.evaluate(payload.expression);
          if (errors.length) throw new Error(`Tab ${payload.id} threw: ${errors.join('; ')}`);
          return { value: value ?? null };
        }
        case 'tab-diagnostics': {
          // Why a tab is not ready: its uncaught errors and the requests that failed.
          const { errors = [], failed = [] } = tab(payload.id);
          return { errors, failed };
        }
        case 'tab-errors': {
          const entry = tab(payload.id);
          return entry.handle ? windows(session).errors(entry.handle) : entry.errors;
        }
        case 'tab-navigate': {
          // payload.to: a URL (relative to the tab's page), 'back' or 'forward'; waits for load
          // and then for payload.ready.
          const entry = tab(payload.id);
          const driven = windows(session);
          if (driven) {
            await driven.navigate(entry.handle, payload.to, payload.ready);
            return true;
          }
          // From inside the page, as a link or the back button would.
          const { page } = entry;
          await page.evaluate(navigateScript(payload.to));
          // Short checks, each given up after 1 s: in Firefox a script that reaches the page as
          // it enters the back/forward cache never answers (its realm is frozen, not destroyed).
          const check = `!!(${navigatedScript(payload.ready)})`;
          const deadline = Date.now() + 15_000;
          for (;;) {
            const evaluation = page.evaluate(check).catch(() => false);
            const late = new Promise((resolve) => setTimeout(resolve, 1000, false));
            if (await Promise.race([evaluation, late])) return true;
            if (Date.now() > deadline)
              throw new Error(`Timed out waiting for: ${payload.ready || 'the new page'}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        case 'tab-opened': {
          // true once an `open-tab` that answered `pending` has its window (or its error).
          const { opening } = tab(payload.id);
          if (!(await settledWithin(opening, 8000))) return false;
          await opening;
          return true;
        }
        case 'close-tab': {
          const entry = tabs.get(payload.id);
          tabs.delete(payload.id);
          await entry?.opening?.catch(() => {});
          if (entry?.handle) await windows(session).close(entry.handle);
          else if (entry && !entry.page.isClosed())
            await entry.page.close({ runBeforeUnload: !!payload.runBeforeUnload });
          return true;
        }
        case 'crash-tab': {
          const entry = tab(payload.id);
          if (entry.handle) {
            tabs.delete(payload.id);
            await windows(session).close(entry.handle, { crash: true });
            return true;
          }
          const { page } = entry;
          if (engineOf(session.browser) !== 'chromium') {
            // No Page.crash over BiDi: the tab goes without its unload events reaching the page.
            tabs.delete(payload.id);
            await page.evaluate(silenceUnload.replace('return true;', ''));
            await page.close({ runBeforeUnload: false });
            return true;
          }
          // A renderer crash (DevTools Page.crash): no unload, no goodbye; the tab is kept so
          // close-all-tabs can still close it.
          const cdp = await page.createCDPSession();
          cdp.send('Page.crash').catch(() => {});
          await new Promise((resolve) => page.once('error', resolve));
          return true;
        }
        case 'close-all-tabs': {
          for (const [id, entry] of tabs) {
            if (entry.owner !== session.id) continue;
            tabs.delete(id);
            // A window still opening is closed with the others once it exists.
            await entry.opening?.catch(() => {});
            // A popup may have closed itself meanwhile.
            if (entry.page && !entry.page.isClosed()) await entry.page.close().catch(() => {});
          }
          // WebDriver: popups the test never looked at are windows too.
          await windows(session)?.closeOthers();
          return true;
        }
        case 'count-objects': {
          // Live instances of a prototype after a full GC: a leak check with no test hooks.
          chromiumOnly(session, command);
          const page = payload.id ? tab(payload.id).page : session.browser.getPage(session.id);
          const cdp = await page.createCDPSession();
          try {
            await cdp.send('HeapProfiler.collectGarbage');
            const proto = await cdp.send('Runtime.evaluate', { expression: payload.prototype });
            const found = await cdp.send('Runtime.queryObjects', {
              prototypeObjectId: proto.result.objectId,
            });
            const count = await cdp.send('Runtime.callFunctionOn', {
              objectId: found.objects.objectId,
              functionDeclaration: 'function () { return this.length; }',
              returnByValue: true,
            });
            return count.result.value;
          } finally {
            await cdp.detach();
          }
        }
        case 'event-listeners': {
          // Listener types registered on a global target (window, document), from DevTools.
          chromiumOnly(session, command);
          const page = session.browser.getPage(session.id);
          const cdp = await page.createCDPSession();
          try {
            const target = await cdp.send('Runtime.evaluate', {
              expression: payload.target ?? 'window',
            });
            const { listeners } = await cdp.send('DOMDebugger.getEventListeners', {
              objectId: target.result.objectId,
            });
            return listeners.map((listener) => listener.type);
          } finally {
            await cdp.detach();
          }
        }
        case 'stop-service-workers': {
          // Stops every running service worker at once, as Chromium does to an idle one (after
          // about 30 s): DevTools ServiceWorker.stopAllWorkers.
          chromiumOnly(session, command);
          const cdp = await session.browser.getPage(session.id).createCDPSession();
          try {
            await cdp.send('ServiceWorker.enable');
            await cdp.send('ServiceWorker.stopAllWorkers');
            return true;
          } finally {
            await cdp.detach();
          }
        }
        case 'set-offline': {
          // Real network emulation: navigator.onLine flips and online/offline events fire.
          if (windows(session))
            throw new Error('set-offline: WebDriver classic (WebKitGTK) has no network emulation.');
          const page = payload.id ? tab(payload.id).page : session.browser.getPage(session.id);
          await page.setOfflineMode(!!payload.offline);
          return true;
        }
        case 'static-server': {
          // payload.mounts: { '/url-prefix/': 'folder relative to the project root' }
          const key = JSON.stringify(payload.mounts);
          if (!staticServers.has(key)) {
            const mounts = Object.fromEntries(
              Object.entries(payload.mounts).map(([prefix, dir]) => [prefix, resolve(root, dir)]),
            );
            staticServers.set(key, startStaticServer(mounts));
          }
          const server = await staticServers.get(key);
          return `http://127.0.0.1:${server.address().port}`;
        }
        default:
          return undefined;
      }
    },
  };
}

/**
 * @web/test-runner commands that drive real extra tabs in the test's own browser context
 * (so they share BroadcastChannel, storage, cookies and service workers with the test page),
 * count live objects through the DevTools protocol, and serve folders from a plain static
 * server on another loopback port.
 */
import { createServer } from 'node:http';
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

export function tabsPlugin({ root = process.cwd() } = {}) {
  /** @type {Map<string, {page: import('puppeteer-core').Page, errors: string[], owner: string}>} */
  const tabs = new Map();
  let nextId = 1;
  const staticServers = new Map();

  const tab = (id) => {
    const entry = tabs.get(id);
    if (!entry) throw new Error(`No tab ${id}`);
    return entry;
  };

  return {
    name: 'realtime-tabs',
    async serverStop() {
      for (const server of staticServers.values()) (await server).close();
    },
    async executeCommand({ command, payload = {}, session }) {
      switch (command) {
        case 'open-tab': {
          const testPage = session.browser.getPage(session.id);
          const page = await testPage.browserContext().newPage();
          const id = String(nextId++);
          const errors = [];
          page.on('pageerror', (error) => errors.push(String(error?.message ?? error)));
          tabs.set(id, { page, errors, owner: session.id });
          if (payload.steppableClock) await page.evaluateOnNewDocument(steppableClock);
          const url = new URL(payload.url, testPage.url()).href;
          const failed = [];
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
          const testPage = session.browser.getPage(session.id);
          const deadline = Date.now() + 10_000;
          for (;;) {
            const pages = await testPage.browserContext().pages();
            const known = new Set([...tabs.values()].map((entry) => entry.page));
            const page = pages.find((p) => !known.has(p) && p.url().includes(payload.urlIncludes));
            if (page) {
              const id = String(nextId++);
              const errors = [];
              page.on('pageerror', (error) => errors.push(String(error?.message ?? error)));
              tabs.set(id, { page, errors, owner: session.id });
              if (payload.ready)
                await page.waitForFunction(payload.ready, { timeout: 10_000, polling: 50 });
              return { id };
            }
            if (Date.now() > deadline) throw new Error(`No page with ${payload.urlIncludes}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        case 'tab-eval': {
          const { page, errors } = tab(payload.id);
          const value = await page.evaluate(payload.expression);
          if (errors.length) throw new Error(`Tab ${payload.id} threw: ${errors.join('; ')}`);
          return { value: value ?? null };
        }
        case 'tab-errors':
          return tab(payload.id).errors;
        case 'close-tab': {
          const entry = tabs.get(payload.id);
          tabs.delete(payload.id);
          if (entry && !entry.page.isClosed())
            await entry.page.close({ runBeforeUnload: !!payload.runBeforeUnload });
          return true;
        }
        case 'crash-tab': {
          // A renderer crash (DevTools Page.crash): no unload, no goodbye; the tab is kept so
          // close-all-tabs can still close it.
          const { page } = tab(payload.id);
          const cdp = await page.createCDPSession();
          cdp.send('Page.crash').catch(() => {});
          await new Promise((resolve) => page.once('error', resolve));
          return true;
        }
        case 'close-all-tabs': {
          for (const [id, entry] of tabs) {
            if (entry.owner !== session.id) continue;
            tabs.delete(id);
            // A popup may have closed itself meanwhile.
            if (!entry.page.isClosed()) await entry.page.close().catch(() => {});
          }
          return true;
        }
        case 'count-objects': {
          // Live instances of a prototype after a full GC: a leak check with no test hooks.
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
        case 'set-offline': {
          // Real network emulation: navigator.onLine flips and online/offline events fire.
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

// `<sw-relay>` and the back/forward cache, for real: a tab the test opened itself navigates away
// and back (test/page-lifecycle.test.ts says how) while this page posts through the relay worker.
// A cached page gets nothing the worker relays meanwhile (Chromium's clients.matchAll leaves it
// out, WebKit drops what is posted to it): back, the tab asks the worker for what it missed
// (numbered, the newest kept) and gets it first, in order, once; what the worker no longer keeps
// is reported as `message-lost`, never skipped silently.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Tab, closeAllTabs, engine, uniqueName, waitUntil } from './helpers.js';
import { SwRelayElement } from '../src/sw-relay.js';
import '../src/sw-relay-define.js';

interface Entry {
  type: string;
  n?: number;
  code?: string;
  message?: string;
}

async function relayTab(name: string, src: string): Promise<Tab> {
  const tab = await Tab.open('/sw-test/tab.html');
  await tab.eval(`(() => {
    window.entries = [];
    window.shows = [];
    addEventListener('pageshow', (event) => window.shows.push(event.persisted ? 'cached' : 'loaded'));
    const el = (window.el = document.createElement('sw-relay'));
    el.setAttribute('name', ${JSON.stringify(name)});
    el.setAttribute('src', ${JSON.stringify(src)});
    for (const type of ['message', 'error'])
      el.addEventListener(type, (event) => window.entries.push({ type, n: event.data?.n, code: event.code, message: event.message }));
    document.body.append(el);
    return true;
  })()`);
  await tab.waitFor(`window.el.state === 'open'`, 30_000);
  return tab;
}

/** Away and back; how it came back: restored from the cache, or loaded afresh. */
async function awayAndBack(tab: Tab, whileAway: () => Promise<unknown>): Promise<string> {
  await tab.navigate('/test/fixtures/away.html', `document.title === 'away'`);
  await whileAway();
  await tab.navigate('back', `document.title !== 'away' && window.tabReady === true`);
  const shows = await tab.eval<string[] | null>('window.shows ?? null');
  if (!shows) return 'loaded';
  await tab.waitFor('window.shows.length > 0');
  expect(await tab.eval('window.shows')).to.deep.equal(['cached']);
  return 'cached';
}

describe(`<sw-relay> and the back/forward cache (${engine})`, () => {
  let here: SwRelayElement<{ n: number }>;
  const open = async (name: string, src: string) => {
    here = document.createElement('sw-relay') as SwRelayElement<{ n: number }>;
    here.name = name;
    here.src = src;
    document.body.append(here);
    await waitUntil(() => here.state === 'open', 30_000, 'an active worker');
  };
  afterEach(async () => {
    here?.remove();
    await closeAllTabs();
    for (const registration of await navigator.serviceWorker.getRegistrations())
      await registration.unregister();
  });

  const cases = [
    {
      title:
        'what the worker relayed while a tab was in the cache reaches it when it comes back: first, in order, once',
      src: '/sw-test/worker.js',
      // The shipped worker keeps the newest 500: all of them.
      expected: [
        { type: 'message', n: 1 },
        { type: 'message', n: 2 },
        { type: 'message', n: 3 },
        { type: 'message', n: 4 },
        { type: 'message', n: 5 },
        { type: 'message', n: 6 },
      ],
    },
    {
      title:
        'more relayed while a tab was in the cache than the worker keeps: message-lost, then the ones kept',
      src: '/sw-test/keep-2-worker.js',
      expected: [
        { type: 'message', n: 1 },
        { type: 'error', code: 'message-lost' },
        { type: 'message', n: 4 },
        { type: 'message', n: 5 },
        { type: 'message', n: 6 },
      ],
    },
  ];
  for (const { title, src, expected } of cases)
    it(title, async () => {
      const name = uniqueName('bfcache-relay');
      await open(name, src);
      const tab = await relayTab(name, src);
      here.post({ n: 1 });
      await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

      const how = await awayAndBack(tab, async () => {
        for (const n of [2, 3, 4, 5]) here.post({ n });
        // Relayed (and missed) while the tab is away: the worker answers a request after them.
        await here.request({ n: 0 });
      });
      // Firefox 153 cached this page in every run seen here, but in one run under load it cached
      // not even a bare page: loaded afresh, there is nothing to catch up, so it may.
      if (engine !== 'firefox') expect(how, 'kept in the cache').to.equal('cached');
      if (how === 'loaded') return;
      // A live post after the catch-up: anything doubled would have arrived before it.
      here.post({ n: 6 });
      await tab.waitFor(`window.entries.some((e) => e.n === 6)`, 15_000);
      const log = await tab.eval<Entry[]>('window.entries');
      expect(
        log.map(({ type, n, code }) => (type === 'error' ? { type, code } : { type, n })),
        JSON.stringify(log),
      ).to.deep.equal(expected);
    });

  // Red team (w3c/ServiceWorker#1038: "the bf cache should be purged if the active worker
  // changes"): the worker is replaced by an update while the tab is cached. What the old one
  // relayed meanwhile is gone with it: reported, never a silent gap; what the new one relayed is
  // delivered. Chromium evicts a cached page that the new worker's clients.claim() takes
  // (w3c/ServiceWorker#1594): it loads afresh, nothing to catch up.
  it("red team: the worker is replaced by an update while a tab is in the cache: message-lost for what the old one relayed, the new one's posts delivered", async () => {
    const name = uniqueName('bfcache-relay-update');
    const src = '/sw-test/worker.js';
    await open(name, src);
    const tab = await relayTab(name, src);
    here.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const how = await awayAndBack(tab, async () => {
      here.post({ n: 2 });
      await here.request({ n: 0 });
      const registration = here.serviceWorkerRegistration!;
      const before = registration.active;
      const updated = new Promise((resolve) => here.addEventListener('update', resolve));
      await executeServerCommand('sw-bump');
      await registration.update();
      await updated;
      here.skipWaiting();
      await waitUntil(() => registration.active !== before, 30_000, 'the new worker active');
      await waitUntil(() => here.state === 'open', 30_000, 'open on the new worker');
      here.post({ n: 3 });
      await here.request({ n: 0 });
    });
    if (how === 'loaded') return;
    here.post({ n: 4 });
    await tab.waitFor(`window.entries.some((e) => e.n === 4)`, 15_000);
    const log = await tab.eval<Entry[]>('window.entries');
    expect(
      log.map(({ type, n, code }) => (type === 'error' ? { type, code } : { type, n })),
      JSON.stringify(log),
    ).to.deep.equal([
      { type: 'message', n: 1 },
      { type: 'error', code: 'message-lost' },
      { type: 'message', n: 3 },
      { type: 'message', n: 4 },
    ]);
  });

  // A browser stops an idle worker (Chromium after about 30 s) and starts a new instance on the
  // next event: the new one knows where the stopped one got to (worker/relay.ts). DevTools stops
  // it here, in Chromium only (test/engines.mjs). It stops a worker at once, where a browser
  // waits for its waitUntil: the test waits for the stopped one's last number to be saved.
  const saved = async (s: number) => {
    const key = new URL('?realtime-elements-relay', here.serviceWorkerRegistration!.scope).href;
    await waitUntil(
      async () => {
        const response = await (await caches.open('realtime-elements:sw-relay')).match(key);
        return ((await response?.json()) as { s?: number } | undefined)?.s === s;
      },
      15_000,
      `the worker's number ${s} saved`,
    );
  };
  const stopWorkers = () => executeServerCommand('stop-service-workers');
  const restartCases = [
    {
      title:
        'the browser stopped the worker while a tab was in the cache, nothing relayed meanwhile: no message-lost',
      whileAway: async () => {
        await saved(1);
        await stopWorkers();
      },
      expected: [
        { type: 'message', n: 1 },
        { type: 'message', n: 9 },
      ],
    },
    {
      title:
        'the browser stopped the worker while a tab was in the cache, after relaying 2 posts it missed: message-lost (2), then what the new one relayed',
      whileAway: async () => {
        here.post({ n: 2 });
        here.post({ n: 3 });
        await here.request({ n: 0 });
        await saved(3);
        await stopWorkers();
        here.post({ n: 4 }); // to the worker started again
        await here.request({ n: 0 });
      },
      expected: [
        { type: 'message', n: 1 },
        { type: 'error', code: 'message-lost', lost: '2' },
        { type: 'message', n: 4 },
        { type: 'message', n: 9 },
      ],
    },
  ];
  for (const { title, whileAway, expected } of restartCases)
    it(title, async () => {
      await caches.delete('realtime-elements:sw-relay');
      const name = uniqueName('bfcache-relay-stopped');
      const src = '/sw-test/worker.js';
      await open(name, src);
      const tab = await relayTab(name, src);
      here.post({ n: 1 });
      await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

      expect(await awayAndBack(tab, whileAway), 'kept in the cache').to.equal('cached');
      // A live post after the catch-up: anything doubled or reported would have come before it.
      here.post({ n: 9 });
      await tab.waitFor(`window.entries.some((e) => e.n === 9)`, 15_000);
      const log = await tab.eval<Entry[]>('window.entries');
      expect(
        log.map(({ type, n, code, message }) =>
          type === 'error' ? { type, code, lost: /^\d+/.exec(message ?? '')?.[0] } : { type, n },
        ),
        JSON.stringify(log),
      ).to.deep.equal(expected);
    });
});

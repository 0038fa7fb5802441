// Steps the `<sw-relay>` test files share: a relay in a real tab, one on this page, a worker
// update, and the clean-up after each test (no relay, tab or registration left for the next).
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sw-relay-define.js';
import { SwRelayElement } from '../src/sw-relay.js';
import { expect } from '@open-wc/testing';
import { Tab, closeAllTabs, engine, record, waitUntil } from './helpers.js';

/** A `<sw-relay>` in `tab` (its messages' data in `window.log`, itself `window.relay`), open. */
export const relayIn = (tab: Tab, name: string, src = '/sw-test/worker.js') =>
  tab.eval(`(async () => {
    const el = document.createElement('sw-relay');
    el.setAttribute('name', ${JSON.stringify(name)});
    el.setAttribute('src', ${JSON.stringify(src)});
    window.log = [];
    el.addEventListener('message', (e) => window.log.push(e.data));
    document.body.append(el);
    while (el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
    window.relay = el;
    return true;
  })()`);

/** A `<sw-relay>` on this page, open. */
export async function relayHere<T>(
  name: string,
  src = '/sw-test/worker.js',
): Promise<SwRelayElement<T>> {
  const el = document.createElement('sw-relay') as SwRelayElement<T>;
  el.name = name;
  el.src = src;
  document.body.append(el);
  await waitUntil(() => el.state === 'open', 30_000, 'open');
  return el;
}

/**
 * Installs a byte-different version of `el`'s worker and waits for `el`'s `update` event: the
 * registration, with the worker active before (the new one waits).
 */
export async function installUpdate<T>(
  el: SwRelayElement<T>,
): Promise<{ registration: ServiceWorkerRegistration; before: ServiceWorker | null }> {
  const registration = el.serviceWorkerRegistration!;
  const before = registration.active;
  const updates = record(el, 'update');
  await executeServerCommand('sw-bump');
  await registration.update();
  await waitUntil(() => updates.length === 1, 30_000, 'update event');
  return { registration, before };
}

/** Replaces `el`'s worker by a byte-different version through `skipWaiting()`, as README says. */
export async function update(el: SwRelayElement<unknown>): Promise<void> {
  const { registration, before } = await installUpdate(el);
  el.skipWaiting();
  await waitUntil(
    () => registration.active !== before && el.state === 'open',
    30_000,
    'the new worker active',
  );
}

/** After each test: no relay on this page, no tab, no registration. */
export async function cleanUp(): Promise<void> {
  document.querySelectorAll('sw-relay').forEach((el) => el.remove());
  await closeAllTabs();
  for (const registration of await navigator.serviceWorker.getRegistrations())
    await registration.unregister();
}

/**
 * Away to away.html and back, again and again: true when restored from the cache. Firefox may
 * load the page afresh under load (see the first test): then there is nothing to catch up and
 * the test ends there (said on the output); every other engine must restore it.
 */
export async function cachedAgain(tab: Tab, whileAway: () => Promise<unknown>): Promise<boolean> {
  const before = (await tab.eval<string[]>('window.shows')).length;
  await tab.navigate('/test/fixtures/away.html', `document.title === 'away'`);
  await whileAway();
  await tab.navigate('back', `document.title !== 'away' && window.tabReady === true`);
  const shows = await tab.eval<string[] | null>('window.shows ?? null');
  if (!shows && engine === 'firefox') {
    console.log('Firefox loaded the page afresh instead of restoring it: nothing to catch up');
    return false;
  }
  expect(shows, 'loaded afresh, not restored from the cache').to.not.equal(null);
  await tab.waitFor(`window.shows.length > ${before}`);
  expect((await tab.eval<string[]>('window.shows')).at(-1), 'kept in the cache').to.equal('cached');
  return true;
}

/**
 * Waits until the worker of `el`'s registration has saved its number `s` (worker/relay.ts, Cache
 * Storage). On a timeout, says what was saved and where the worker stands.
 */
export async function saved(el: SwRelayElement<unknown>, s: number): Promise<void> {
  const key = new URL('?realtime-elements-relay', el.serviceWorkerRegistration!.scope).href;
  let last: { e?: string; s?: number } | undefined;
  await waitUntil(
    async () => {
      const response = await (await caches.open('realtime-elements:sw-relay')).match(key);
      last = await response?.json();
      return last?.s === s;
    },
    15_000,
    `the worker's number ${s} saved`,
  ).catch(async (error: Error) => {
    const { port1, port2 } = new MessageChannel();
    const reply = new Promise((resolve) => (port1.onmessage = ({ data }) => resolve(data)));
    el.serviceWorkerRegistration!.active?.postMessage(
      { rtRelay: 1, kind: 'since', e: last?.e, s: 0 },
      [port2],
    );
    const now = await Promise.race([reply, new Promise((r) => setTimeout(r, 2000))]);
    throw new Error(
      `${error.message} (saved: ${JSON.stringify(last)}; worker: ${JSON.stringify(now)})`,
    );
  });
}

/**
 * A real tab with one `<sw-relay>` (`window.el`), open; its messages and errors in
 * `window.entries` (`{ type, n, code, message }`), its `pageshow`s in `window.shows`.
 */
export async function relayTab(name: string, src: string, scope = ''): Promise<Tab> {
  const tab = await Tab.open('/sw-test/tab.html');
  await tab.eval(`(() => {
    window.entries = [];
    window.shows = [];
    addEventListener('pageshow', (event) => window.shows.push(event.persisted ? 'cached' : 'loaded'));
    const el = (window.el = document.createElement('sw-relay'));
    el.setAttribute('name', ${JSON.stringify(name)});
    el.setAttribute('src', ${JSON.stringify(src)});
    if (${JSON.stringify(scope)}) el.setAttribute('scope', ${JSON.stringify(scope)});
    for (const type of ['message', 'error'])
      el.addEventListener(type, (event) => window.entries.push({ type, n: event.data?.n, code: event.code, message: event.message }));
    document.body.append(el);
    return true;
  })()`);
  await tab.waitFor(`window.el.state === 'open'`, 30_000);
  return tab;
}

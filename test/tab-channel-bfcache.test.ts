// `<tab-channel>` and the back/forward cache, for real: a tab the test opened itself navigates
// away and back (test/page-lifecycle.test.ts says how), while this page posts on the channel.
// WebKit keeps such a page cached and drops what is posted to it meanwhile; Chromium evicts a
// cached page whose BroadcastChannel gets a message (the page is then loaded afresh on Back, and
// its markup joins the channel anew). Either way a `retain` member must end up with the newest
// retained message, once: restored, it catches up as a late joiner does.
import { expect } from '@open-wc/testing';
import { Tab, closeAllTabs, engine, uniqueName, waitUntil } from './helpers.js';
import { TabChannelElement, type TabChannelMessageEvent } from '../src/tab-channel.js';
import '../src/tab-channel-define.js';

interface Entry {
  n?: number;
  retained: boolean | null;
  type: string;
  code?: string;
}

/**
 * The member's page: its element, every event it fires and every `pageshow`. Run again when the
 * page was loaded afresh (as the page's own markup would).
 */
const setup = (name: string, attributes: string) => `(() => {
  window.entries = [];
  window.shows = [];
  addEventListener('pageshow', (event) => window.shows.push(event.persisted ? 'cached' : 'loaded'));
  const el = (window.el = document.createElement('tab-channel'));
  el.setAttribute('name', ${JSON.stringify(name)});
  for (const attribute of ${JSON.stringify(attributes.split(' ').filter(Boolean))})
    el.setAttribute(attribute, '');
  for (const type of ['message', 'error'])
    el.addEventListener(type, (event) => {
      // A request (see sync()) is answered, not logged.
      if (event.reply) return event.reply('ok');
      window.entries.push({ type, n: event.data?.n, retained: event.retained ?? null, code: event.code });
    });
  document.body.append(el);
  return true;
})()`;

async function member(name: string, attributes = 'retain'): Promise<Tab> {
  const tab = await Tab.open();
  await tab.eval(setup(name, attributes));
  // Open; its team (which holds the retained message) may still be loading: a post now races
  // its join (test/tab-channel-join-race.test.ts).
  await tab.waitFor(`window.el.state === 'open'`, 30_000);
  return tab;
}

/**
 * Away and back; `whileAway` runs while the page is away. Returns how it came back: `cached`
 * (restored from the back/forward cache) or `loaded` (afresh: then set up again, joining late).
 */
async function awayAndBack(
  tab: Tab,
  name: string,
  attributes: string,
  whileAway: () => Promise<unknown>,
): Promise<'cached' | 'loaded'> {
  await tab.navigate('/test/fixtures/away.html', `document.title === 'away'`);
  await whileAway();
  await tab.navigate('back', `document.title !== 'away' && window.tabReady === true`);
  const shows = await tab.eval<string[] | null>('window.shows ?? null');
  if (!shows) {
    await tab.eval(setup(name, attributes));
    return 'loaded';
  }
  // Set up by the first load; a restore adds 'cached'.
  await tab.waitFor('window.shows.length > 0');
  expect(await tab.eval('window.shows')).to.deep.equal(['cached']);
  return 'cached';
}

/**
 * Whether this engine kept the page in the cache. Either outcome is accepted in Chromium and
 * Firefox, which evict a cached page whose BroadcastChannel gets a message (and Firefox, here,
 * never caches a page with a `retain` member): the page then loads afresh and joins late, which
 * the element does not choose. WebKit keeps it, dropping what is posted meanwhile.
 */
const expected = (how: string) => {
  if (engine === 'webkit') expect(how, 'WebKit keeps the page in the cache').to.equal('cached');
};

const entries = (tab: Tab) => tab.eval<Entry[]>('window.entries');

/**
 * A request from `tab` to the member `to` and its reply: they travel on the team's channel after
 * what `tab` sent before (its ask on joining or coming back) and before anything `to` sends
 * later, so once it resolves `tab` has had every answer to its ask.
 */
const sync = (tab: Tab, to: string) =>
  tab.eval(`window.el.request('sync', { to: ${JSON.stringify(to)} }).then(() => true)`);

describe(`<tab-channel> and the back/forward cache (${engine})`, () => {
  let here: TabChannelElement<{ n: number }>;
  const open = async (
    name: string,
    attributes = 'retain',
    onRequest = (event: TabChannelMessageEvent) => event.reply?.('ok'),
  ) => {
    here = document.createElement('tab-channel') as TabChannelElement<{ n: number }>;
    here.name = name;
    for (const attribute of attributes.split(' ')) here.setAttribute(attribute, '');
    here.addEventListener('message', onRequest);
    document.body.append(here);
    // The team (retain) joins lazily: its first post needs it loaded to be stamped.
    await here.join();
  };
  afterEach(async () => {
    here?.remove();
    await closeAllTabs();
  });

  it('<tab-channel retain>: a post made while a tab is in the cache reaches it when it comes back, once, as retained', async () => {
    const name = uniqueName('bfcache-retain');
    await open(name);
    const tab = await member(name);
    here.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const how = await awayAndBack(tab, name, 'retain', async () => here.post({ n: 2 }));
    expected(how);
    await sync(tab, here.tabId);
    // A live post after the answers: anything doubled would have arrived before it.
    here.post({ n: 3 });
    await tab.waitFor(`window.entries.some((e) => e.n === 3)`);
    const log = await entries(tab);
    expect(log, JSON.stringify(log)).to.deep.equal([
      ...(how === 'cached' ? [{ type: 'message', n: 1, retained: null }] : []),
      { type: 'message', n: 2, retained: true },
      { type: 'message', n: 3, retained: null },
    ]);
  });

  it('<tab-channel retain>: nothing posted while a tab is in the cache, nothing is delivered again when it comes back', async () => {
    const name = uniqueName('bfcache-retain-same');
    await open(name);
    const tab = await member(name);
    here.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const how = await awayAndBack(tab, name, 'retain', async () => {});
    // Chromium evicts the page on the other member's presence beat: afresh, it joins late.
    expected(how);
    await sync(tab, here.tabId);
    here.post({ n: 3 });
    await tab.waitFor(`window.entries.some((e) => e.n === 3)`);
    const log = await entries(tab);
    expect(log, JSON.stringify(log)).to.deep.equal([
      { type: 'message', n: 1, retained: how === 'cached' ? null : true },
      { type: 'message', n: 3, retained: null },
    ]);
  });

  it('<tab-channel retain>: clearRetained() while a tab is in the cache: back, it no longer hands the old message to a tab that joins later', async () => {
    const name = uniqueName('bfcache-retain-clear');
    await open(name);
    const tab = await member(name);
    here.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const how = await awayAndBack(tab, name, 'retain', () => here.clearRetained());
    expected(how);
    await sync(tab, here.tabId);
    // Only the restored tab holds anything now; a newcomer asks it.
    here.remove();
    const late = await member(name);
    await sync(late, await tab.eval<string>('window.el.tabId'));
    // A live post after the answers: a retained message would have arrived before it.
    await tab.eval('window.el.post({ n: 3 }), true');
    await late.waitFor(`window.entries.some((e) => e.n === 3)`);
    const log = await entries(late);
    expect(log, JSON.stringify(log)).to.deep.equal([{ type: 'message', n: 3, retained: null }]);
  });

  it('request(): the reply given while the asking tab is in the cache reaches it when it comes back; the receiver runs it once', async () => {
    const name = uniqueName('bfcache-request');
    const runs: ((value: unknown) => void)[] = [];
    await open(name, 'presence', (event) => {
      if (event.reply) runs.push(event.reply);
    });
    const tab = await member(name, 'presence');
    await tab.eval(`(window.answer = null,
      window.el.request('q', { to: ${JSON.stringify(here.tabId)}, timeout: 60000 }).then(
        (value) => (window.answer = value),
        (error) => (window.answer = 'rejected: ' + error.code),
      ), true)`);
    await waitUntil(() => runs.length === 1, 15_000, 'the request');

    const how = await awayAndBack(tab, name, 'presence', async () => runs[0]('late answer'));
    expected(how);
    // Afresh (Chromium, Firefox), the page that asked is gone: nothing to wait for.
    if (how === 'loaded') return;
    // Well before its 60 s timeout: sent again on the way back, answered from the reply given.
    expect(await tab.waitFor('window.answer', 15_000)).to.equal('late answer');
    expect(runs.length, 'the receiver ran the request once').to.equal(1);
  });
});

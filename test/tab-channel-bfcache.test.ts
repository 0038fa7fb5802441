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
 * page was loaded afresh (as the page's own markup would). With `window.postOnShow`
 * (`same-task` or `later`) the page posts `{ n: 5 }` when it comes back from the cache, from a
 * `pageshow` listener added before its element's (as app code at the top of a page would),
 * logged as `posted`. A request `'q'` is held in `window.pendingReply` for the test to answer.
 */
const setup = (name: string, attributes: string) => `(() => {
  window.entries = [];
  window.shows = [];
  addEventListener('pageshow', (event) => window.shows.push(event.persisted ? 'cached' : 'loaded'));
  addEventListener('pageshow', (event) => {
    if (!event.persisted || !window.postOnShow) return;
    const post = () => (window.entries.push({ type: 'posted', n: 5, retained: null }), window.el.post({ n: 5 }));
    if (window.postOnShow === 'same-task') post();
    else setTimeout(post, 0);
  });
  const el = (window.el = document.createElement('tab-channel'));
  el.setAttribute('name', ${JSON.stringify(name)});
  for (const attribute of ${JSON.stringify(attributes.split(' ').filter(Boolean))})
    el.setAttribute(attribute, '');
  for (const type of ['message', 'error'])
    el.addEventListener(type, (event) => {
      // A request (see sync()) is answered, not logged; 'q' waits for the test.
      if (event.reply && event.data === 'q') return void (window.pendingReply = event.reply);
      if (event.reply) return event.reply('ok');
      window.entries.push({ type, n: event.data?.n, retained: event.retained ?? null, code: event.code });
    });
  document.body.append(el);
  return true;
})()`;

/**
 * A member in a tab of its own, open. `joined`: its team has loaded too (else it may still be
 * loading: a post then races its join, test/tab-channel-join-race.test.ts).
 */
async function member(name: string, attributes = 'retain', joined = false): Promise<Tab> {
  const tab = await Tab.open();
  await tab.eval(setup(name, attributes));
  await tab.waitFor(`window.el.state === 'open'`, 30_000);
  if (joined) await tab.eval('window.el.join().then(() => true)');
  return tab;
}

const away = (tab: Tab) => tab.navigate('/test/fixtures/away.html', `document.title === 'away'`);

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
  await away(tab);
  await whileAway();
  return back(tab, name, attributes);
}

/** Back (see awayAndBack). */
async function back(tab: Tab, name: string, attributes = 'retain'): Promise<'cached' | 'loaded'> {
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

/** How long (ms) the holder is busy in the test of input 8: both members come back meanwhile. */
const BUSY = 4000;

const entries = (tab: Tab) => tab.eval<Entry[]>('window.entries');
const idOf = (tab: Tab) => tab.eval<string>('window.el.tabId');

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
  // Red team of #22, input 6. Peer: centrifugal/centrifuge-dart#142 (a client's position must
  // move before the app's own code acts, or what it missed is recovered after its own newer
  // publication). The page's own `pageshow` listener runs before the element's, so its post is
  // made before the element asks what it missed; the cached member has the lower tab id, so its
  // post lost a tie of the Lamport clock the stamps were before.
  for (const when of ['same-task', 'later'] as const)
    it(`retain: a post the restored page makes in its own pageshow listener (${when}) is the newest: the older one it missed never comes after it, and a newcomer gets the post`, async () => {
      const name = uniqueName(`bfcache-show-${when}`);
      const one = await member(name, 'retain', true);
      const two = await member(name, 'retain', true);
      const [t, h] = (await idOf(one)) < (await idOf(two)) ? [one, two] : [two, one];
      await h.eval('window.el.post({ n: 1 }), true');
      await t.waitFor(`window.entries.some((e) => e.n === 1)`);
      await t.eval(`window.postOnShow = ${JSON.stringify(when)}, true`);

      await away(t);
      await h.eval('window.el.post({ n: 2 }), true');
      const how = await back(t, name);
      expected(how);
      // Afresh (Chromium, Firefox) the page did not post on show (its listener is new): it got
      // the newest, n: 2, as retained.
      const newest = how === 'cached' ? 5 : 2;
      if (how === 'cached') await h.waitFor(`window.entries.some((e) => e.n === 5)`);
      // After t's post and ask: h has heard both (and answered) once this resolves.
      await sync(t, await idOf(h));
      const late = await member(name, 'retain', true);
      await sync(late, await idOf(t));
      await sync(late, await idOf(h));
      const log = await entries(t);
      const lateLog = await entries(late);
      const note = JSON.stringify({ restored: log, late: lateLog });
      const posted = log.findIndex((e) => e.type === 'posted');
      // Before its post, the restored page may have caught up with n: 2 (later: the answer to
      // its ask can come before the page's timer); never after it.
      const caughtUp = log.slice(0, posted).some((e) => e.n === 2);
      expect(log, note).to.deep.equal(
        how === 'cached'
          ? [
              { type: 'message', n: 1, retained: null },
              ...(when === 'later' && caughtUp ? [{ type: 'message', n: 2, retained: true }] : []),
              { type: 'posted', n: 5, retained: null },
            ]
          : [{ type: 'message', n: 2, retained: true }],
      );
      expect(lateLog, note).to.deep.equal([{ type: 'message', n: newest, retained: true }]);
    });

  // Red team of #22, input 7. Peer: whatwg/html#7253 (WebKit drops BroadcastChannel posts to a
  // cached page), with two members cached in turn: the newest retained message lives only in the
  // one cached last, which comes back last and asks with it; the other adopts it.
  it('retain: two members cached in turn; the one holding the newest comes back last and leaves: the other has adopted it (delivered once) and hands it to a newcomer', async () => {
    const name = uniqueName('bfcache-both');
    const t = await member(name, 'retain', true);
    const h = await member(name, 'retain', true);
    await h.eval('window.el.post({ n: 1 }), true');
    await t.waitFor(`window.entries.some((e) => e.n === 1)`);
    await away(t);
    await h.eval('window.el.post({ n: 2 }), true');
    await away(h);
    const howT = await back(t, name);
    const howH = await back(h, name);
    expected(howT);
    expected(howH);
    // Chromium evicts both (a message on their channels while cached): n: 2 was only in their
    // memory, and is gone with them (README: it lives in the open tabs' memory only).
    if (howT === 'loaded' || howH === 'loaded') return;
    // h's ask (with n: 2) went before its request; t's ask before its own.
    await sync(h, await idOf(t));
    await sync(t, await idOf(h));
    await h.eval('window.el.remove(), true');
    const late = await member(name, 'retain', true);
    await sync(late, await idOf(t));
    // A live post after the answers: a second retained message would have come before it.
    await t.eval('window.el.post({ n: 3 }), true');
    await late.waitFor(`window.entries.some((e) => e.n === 3)`);
    const logs = { t: await entries(t), late: await entries(late) };
    expect(logs, JSON.stringify(logs)).to.deep.equal({
      t: [
        { type: 'message', n: 1, retained: null },
        { type: 'message', n: 2, retained: true },
      ],
      late: [
        { type: 'message', n: 2, retained: true },
        { type: 'message', n: 3, retained: null },
      ],
    });
  });

  // Red team of #22, input 8. Peer: pubkey/broadcast-channel#385 (tabs answering with a stale
  // view). The member holding the newest message is busy while two others come back: the first
  // answer each hears is the other's copy of the older message, which must not end its catch-up.
  it('retain: two members restored while the holder is busy: a stale answer from the other changes nothing, each gets the newest once', async () => {
    const name = uniqueName('bfcache-busy');
    const a = await member(name, 'retain', true);
    const b = await member(name, 'retain', true);
    const h = await member(name, 'retain', true);
    await h.eval('window.el.post({ n: 1 }), true');
    for (const tab of [a, b]) await tab.waitFor(`window.entries.some((e) => e.n === 1)`);
    await away(a);
    await away(b);
    await h.eval('window.el.post({ n: 2 }), true');
    // h is busy from its next task, for BUSY ms; it says so first.
    const busy = new BroadcastChannel(`${name}-busy`);
    const started = new Promise((resolve) => (busy.onmessage = resolve));
    await h.eval(`(setTimeout(() => {
      new BroadcastChannel(${JSON.stringify(`${name}-busy`)}).postMessage('busy');
      const end = performance.now() + ${BUSY};
      while (performance.now() < end);
      window.free = Date.now();
    }, 0), true)`);
    await started;
    busy.close();
    const howB = await back(b, name);
    const howA = await back(a, name);
    const backAt = Date.now();
    expected(howA);
    expected(howB);
    const free = await h.waitFor<number>('window.free', 30_000);
    for (const tab of [a, b]) await sync(tab, await idOf(h));
    await h.eval('window.el.post({ n: 3 }), true');
    for (const tab of [a, b]) await tab.waitFor(`window.entries.some((e) => e.n === 3)`);
    const logs = { a: await entries(a), b: await entries(b) };
    const note = `${JSON.stringify(logs)}; both back ${free - backAt} ms before h was free`;
    const log = (how: string) => [
      ...(how === 'cached' ? [{ type: 'message', n: 1, retained: null }] : []),
      { type: 'message', n: 2, retained: true },
      { type: 'message', n: 3, retained: null },
    ];
    expect(logs, note).to.deep.equal({ a: log(howA), b: log(howB) });
    // Else the stale answers came after h's: the test tried nothing (raise BUSY).
    if (howA === 'cached') expect(free - backAt, note).to.be.above(0);
  });

  // Red team of #22, input 9. Peer: socketio/socket.io-client#305 (what is sent again after a
  // reconnect is not what the app meant at the time).
  it('request(): a reply given while the asker was cached, then changed by the receiver: the asker gets it as it was given', async () => {
    const name = uniqueName('bfcache-reply-copy');
    const t = await member(name, 'presence', true);
    const h = await member(name, 'presence', true);
    await t.eval(`(window.answer = null,
      window.el.request('q', { to: ${JSON.stringify(await idOf(h))}, timeout: 60000 }).then(
        (value) => (window.answer = value),
        (error) => (window.answer = 'rejected: ' + error.code),
      ), true)`);
    await h.waitFor('!!window.pendingReply');
    const how = await awayAndBack(t, name, 'presence', () =>
      h.eval(`(() => {
        const cart = { items: 1 };
        window.pendingReply(cart);
        cart.items = 2; // the page's state moves on after it answered
        return true;
      })()`),
    );
    expected(how);
    // Afresh (Chromium, Firefox), the page that asked is gone: nothing to wait for.
    if (how === 'loaded') return;
    expect(await t.waitFor('window.answer', 15_000)).to.deep.equal({ items: 1 });
  });
});

/**
 * The same kinds of input on the wire, in every engine: a probe on the members' channel
 * (`realtime-elements:tab-channel:<name>`) speaks for members that come back late, behind or
 * ahead of this page's element, in an order it chooses.
 */
describe(`<tab-channel> members coming back, on the wire (${engine})`, () => {
  let here: TabChannelElement<unknown>;
  let probe: BroadcastChannel;
  let heard: { k: string; f: string; p?: Record<string, unknown> }[];
  let got: { data: unknown; retained: boolean | null }[];
  const open = async (name: string, attributes: string, onRequest = '') => {
    here = document.createElement('tab-channel') as TabChannelElement<unknown>;
    here.name = name;
    here.setAttribute(attributes, '');
    got = [];
    here.addEventListener('message', (event: TabChannelMessageEvent) => {
      if (event.reply) return onRequest === 'cart' ? replyWithCart(event) : event.reply('ok');
      got.push({ data: event.data, retained: event.retained ?? null });
    });
    document.body.append(here);
    await here.join();
    heard = [];
    probe = await channel(`realtime-elements:tab-channel:${name}`);
    probe.onmessage = ({ data }) => heard.push(data);
  };
  const replyWithCart = (event: TabChannelMessageEvent) => {
    const cart = { items: 1 };
    event.reply?.(cart);
    cart.items = 2; // the page's state moves on after it answered
  };
  /**
   * A channel that gets what is posted from now on: WebKit registers a new one asynchronously,
   * so it waits for a post of its own making.
   */
  const channel = async (channelName: string) => {
    const made = new BroadcastChannel(channelName);
    const other = new BroadcastChannel(channelName);
    const ready = new Promise((resolve) => (made.onmessage = resolve));
    other.postMessage({ k: 'ping', f: 'probe-ping' });
    await ready;
    other.close();
    made.onmessage = null;
    return made;
  };
  const send = (k: string, p?: unknown) => probe.postMessage({ k, f: 'probe', p });
  /** The answers to the probe's ask, once a request's reply (sent after the ask) has come. */
  const ask = async (p?: unknown) => {
    heard = [];
    send('ask', p);
    send('req', { i: 'sync', t: here.tabId, l: false, d: 'sync' });
    await waitUntil(() => heard.some((m) => m.k === 'res'), 15_000, 'the reply');
    return heard.filter((m) => m.k === 'ret' && m.p?.t === 'probe').map((m) => m.p?.d);
  };
  afterEach(() => {
    probe?.close();
    here?.remove();
  });

  it('retain: answers are judged by their stamps: a stale answer after the newest replaces nothing, and is not delivered', async () => {
    const name = uniqueName('wire-stale-answer');
    here = document.createElement('tab-channel') as TabChannelElement<unknown>;
    // The probe answers the element's ask (as it joins) with the newest, then with a stale copy.
    probe = await channel(`realtime-elements:tab-channel:${name}`);
    probe.onmessage = ({ data }) => {
      if (data.k !== 'ask') return;
      for (const [c, n] of [
        [2e15, 2],
        [1e15, 1],
      ])
        send('ret', { c, f: 'probe', d: { n }, t: data.f });
    };
    here.name = name;
    here.setAttribute('retain', '');
    got = [];
    here.addEventListener('message', (event: TabChannelMessageEvent) => {
      if (event.reply) event.reply('ok');
      else got.push({ data: event.data, retained: event.retained ?? null });
    });
    document.body.append(here);
    await here.join();
    await waitUntil(() => got.length > 0, 15_000, 'the retained message');
    probe.onmessage = ({ data }) => heard.push(data);
    // It holds the newest: a newcomer asking now is answered with it.
    expect(await ask()).to.deep.equal([{ n: 2 }]);
    expect(got).to.deep.equal([{ data: { n: 2 }, retained: true }]);
  });

  it('retain: a member that comes back with a newer message than this one holds: adopted (delivered once), and handed to a newcomer', async () => {
    const name = uniqueName('wire-newer-ask');
    await open(name, 'retain');
    here.post({ n: 1 });
    // Asking with an older one: answered with n: 1.
    expect(await ask({ c: 1, f: 'probe', d: { n: 0 } })).to.deep.equal([{ n: 1 }]);
    // Asking with a newer one (a stamp far ahead): not answered, adopted.
    expect(await ask({ c: 9e15, f: 'probe', d: { n: 2 } })).to.deep.equal([]);
    expect(await ask()).to.deep.equal([{ n: 2 }]);
    // Asked again with it, nothing new: not delivered twice.
    expect(await ask({ c: 9e15, f: 'probe', d: { n: 2 } })).to.deep.equal([]);
    expect(got).to.deep.equal([{ data: { n: 2 }, retained: true }]);
  });

  it('retain: a member that is up to date (a live post came) adopts a newer message from an ask silently (its post comes live)', async () => {
    const name = uniqueName('wire-newer-ask-live');
    await open(name, 'retain');
    send('ret', { c: 1e15, f: 'probe', d: { n: 1 } }); // live: the post itself is not sent here
    expect(await ask({ c: 9e15, f: 'probe', d: { n: 2 } })).to.deep.equal([]);
    expect(await ask()).to.deep.equal([{ n: 2 }]);
    expect(got).to.deep.equal([]);
  });

  it('retain: foreign stamps that would stop the clock (NaN, Infinity, past 2^53, a string) are ignored', async () => {
    const name = uniqueName('wire-bad-stamps');
    await open(name, 'retain');
    for (const c of [NaN, Infinity, 1e300, 2 ** 53, '9']) send('ret', { c, f: 'zz', d: 'bad' });
    send('ret', { c: 1e15, f: 'probe', d: { n: 0 } });
    expect(await ask()).to.deep.equal([{ n: 0 }]);
    here.post({ n: 1 }); // after it: newer
    expect(await ask()).to.deep.equal([{ n: 1 }]);
  });

  /** A `retain` member here that records each message (`got`) and then `change`s it. */
  const appendChanging = (name: string, change: (data: unknown) => void) => {
    here = document.createElement('tab-channel') as TabChannelElement<unknown>;
    here.name = name;
    here.setAttribute('retain', '');
    got = [];
    here.addEventListener('message', (event: TabChannelMessageEvent) => {
      if (event.reply) return event.reply('ok');
      got.push({ data: structuredClone(event.data), retained: event.retained ?? null });
      change(event.data);
    });
    document.body.append(here);
  };

  // Input 9's kind (kept by reference) on the retained message: the page changes what it is given.
  it('retain: the page changes the retained message it was given; a newcomer still gets it as it was posted', async () => {
    const name = uniqueName('wire-retained-copy');
    probe = await channel(`realtime-elements:tab-channel:${name}`);
    probe.onmessage = ({ data }) => {
      if (data.k === 'ask') send('ret', { c: 1e15, f: 'probe', d: { items: 1 }, t: data.f });
    };
    // The page's state moves on: it changes what it was given.
    appendChanging(name, (data) => ((data as { items: number }).items = 2));
    await waitUntil(() => got.length > 0, 15_000, 'the retained message');
    heard = [];
    probe.onmessage = ({ data }) => heard.push(data);
    expect(await ask()).to.deep.equal([{ items: 1 }]);
    expect(got).to.deep.equal([{ data: { items: 1 }, retained: true }]);
  });

  it('retain: a live post the page changed, then the same post as the answer to its ask: delivered once', async () => {
    const name = uniqueName('wire-early-copy');
    let asker = '';
    probe = await channel(`realtime-elements:tab-channel:${name}`);
    probe.onmessage = ({ data }) => {
      if (data.k === 'ask') asker = data.f;
      heard.push(data);
    };
    heard = [];
    const poster = await channel(name);
    appendChanging(name, (data) => ((data as { n: number }).n = 99));
    await here.join();
    await waitUntil(() => !!asker, 15_000, 'its ask');
    // Posted by plain BroadcastChannel code, live; then a member answers the ask with it.
    poster.postMessage({ n: 2 });
    await waitUntil(() => got.length > 0, 15_000, 'the live post');
    poster.close();
    send('ret', { c: 1e15, f: 'probe', d: { n: 2 }, t: asker });
    send('req', { i: 'sync', t: here.tabId, l: false, d: 'sync' });
    await waitUntil(() => heard.some((m) => m.k === 'res'), 15_000, 'the reply');
    expect(got).to.deep.equal([{ data: { n: 2 }, retained: null }]);
  });

  it('request(): a request sent again gets the reply as it was given, not as the page changed it since', async () => {
    const name = uniqueName('wire-reply-copy');
    await open(name, 'presence', 'cart');
    const request = { i: 'probe:1', t: here.tabId, l: false, d: 'q' };
    for (let time = 1; time <= 2; time++) {
      send('req', request);
      await waitUntil(() => heard.filter((m) => m.k === 'res').length === time, 15_000, 'reply');
    }
    expect(heard.filter((m) => m.k === 'res').map((m) => m.p?.v)).to.deep.equal([
      { items: 1 },
      { items: 1 },
    ]);
  });
});

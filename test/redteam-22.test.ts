// Red team of #22 (a fresh helper): peer reports of the back/forward cache and of leaving a
// page, tried in every engine. Kept here: what holds in every engine where it can run. Open, and
// listed in the #22 note (they fail today): a connection still being set up when a navigation
// starts reports `network` in Firefox and WebKit (cause not isolated yet);
// a <tab-channel retain> or <sw-relay> message posted while a tab is in the cache is lost
// (WebKit; <sw-relay> in Chromium too).
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Tab, closeAllTabs, engine, uniqueName } from './helpers.js';

interface Entry {
  type: string;
  n?: number;
  state?: string;
  code?: string;
}

const publish = (topic: string, from: number, to: number) =>
  executeServerCommand<string[], unknown>('hub-publish', {
    topic,
    many: Array.from({ length: to - from }, (_, i) => ({ n: from + i })),
  });

async function tabWith(html: string, open = true): Promise<Tab> {
  const tab = await Tab.open();
  await tab.eval(`(() => {
    window.entries = [];
    window.shows = [];
    addEventListener('pageshow', (event) => window.shows.push(event.persisted ? 'cached' : 'loaded'));
    const holder = document.createElement('div');
    holder.innerHTML = ${JSON.stringify(html)};
    const el = (window.el = holder.firstElementChild);
    for (const type of ['message', 'error', 'open', 'close', 'statechange'])
      el.addEventListener(type, (event) =>
        window.entries.push(JSON.parse(JSON.stringify({ type, n: event.data?.n, state: event.state, code: event.code }))),
      );
    document.body.append(el);
    return true;
  })()`);
  if (open) await until(tab, `window.el.state === 'open'`);
  return tab;
}

const entries = (tab: Tab) => tab.eval<Entry[]>('window.entries');
const until = (tab: Tab, expression: string) =>
  tab.waitFor(expression, 30_000).catch(async (error: Error) => {
    const log = await entries(tab).catch(() => 'unreadable');
    const state = await tab.eval('window.el.state').catch(() => '?');
    throw new Error(`${error.message}; state ${state}; events ${JSON.stringify(log)}`);
  });
const numbers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const messages = async (tab: Tab) =>
  (await entries(tab)).filter((e) => e.type === 'message').map((e) => e.n);

/**
 * Away and back; `before` runs in the page in the same task as the navigation. Fails unless the
 * page came back from the cache, or with `mayReload` returns false when it was loaded afresh.
 */
async function awayAndBack(
  tab: Tab,
  whileAway: () => Promise<unknown> = async () => {},
  before = '',
  mayReload = false,
): Promise<boolean> {
  await tab.eval(
    `setTimeout(() => { ${before}; location.href = '/test/fixtures/away.html'; }, 0), true`,
  );
  await tab.waitFor(`document.title === 'away' && document.readyState === 'complete'`, 30_000);
  await whileAway();
  await tab.eval(`setTimeout(() => history.back(), 0), true`);
  const how = await tab.waitFor<string>(
    `document.title !== 'away' && (window.shows === undefined ? window.tabReady && 'loaded' : window.shows.length > 0 && window.shows.at(-1))`,
    30_000,
  );
  if (mayReload && how === 'loaded') return false;
  expect(how, 'the page was loaded again, not restored from the cache').to.equal('cached');
  return true;
}

describe(`red team #22: back/forward cache (${engine})`, function () {
  afterEach(() => closeAllTabs());

  it('<sse-feed pause-hidden>: away and back, every event once (pagehide and visibilitychange together)', async () => {
    const topic = uniqueName('rt22-hidden');
    const tab = await tabWith(
      `<sse-feed pause-hidden type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
    );
    await publish(topic, 0, 3);
    await until(tab, `window.entries.filter((e) => e.type === 'message').length >= 3`);
    await awayAndBack(tab, () => publish(topic, 3, 6));
    await until(tab, `window.el.state === 'open'`);
    await publish(topic, 6, 9);
    await until(tab, `window.entries.some((e) => e.n === 8)`);
    expect(await messages(tab), JSON.stringify(await entries(tab))).to.deep.equal(numbers(0, 9));
  });

  it('<sse-feed> closed by the user before leaving stays closed after the restore', async () => {
    const topic = uniqueName('rt22-closed');
    const tab = await tabWith(
      `<sse-feed type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
    );
    await tab.eval('window.el.close(), true');
    await awayAndBack(tab);
    // A beat of the page's own: a reconnect would have started by a task later.
    await tab.eval('new Promise((r) => setTimeout(r, 200)).then(() => true)');
    expect(await tab.eval('window.el.state')).to.equal('closed');
  });

  it('<socket-relay> send() in the same task as the navigation away: delivered once after the restore', async () => {
    const topic = uniqueName('rt22-send');
    const html = `<socket-relay type="json" src="/realtime/ws" topic="${topic}"></socket-relay>`;
    const sender = await tabWith(html);
    const listener = await tabWith(html);
    await awayAndBack(sender, undefined, 'window.el.send({ n: 1 })');
    await until(sender, `window.el.state === 'open'`);
    await sender.eval('window.el.send({ n: 2 }), true');
    await until(listener, `window.entries.some((e) => e.n === 2)`);
    expect(await messages(listener)).to.deep.equal([1, 2]);
  });

  it('<socket-relay> send() while away is impossible; send() at once on pageshow (before it reopens) is delivered once', async () => {
    const topic = uniqueName('rt22-show-send');
    const html = `<socket-relay type="json" src="/realtime/ws" topic="${topic}"></socket-relay>`;
    const sender = await tabWith(html);
    await sender.eval(
      `addEventListener('pageshow', (e) => { if (e.persisted) window.el.send({ n: 1 }); }), true`,
    );
    const listener = await tabWith(html);
    await awayAndBack(sender);
    await until(sender, `window.el.state === 'open'`);
    await sender.eval('window.el.send({ n: 2 }), true');
    await until(listener, `window.entries.some((e) => e.n === 2)`);
    expect(await messages(listener)).to.deep.equal([1, 2]);
  });

  it('a shared <sse-feed> FOLLOWER away and back: both tabs get every event once', async () => {
    const topic = uniqueName('rt22-follower');
    const html = `<sse-feed shared type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`;
    const leader = await tabWith(html);
    await until(leader, 'window.el.leader');
    const follower = await tabWith(html);
    await publish(topic, 0, 3);
    for (const tab of [leader, follower])
      await until(tab, `window.entries.filter((e) => e.type === 'message').length >= 3`);
    await awayAndBack(follower, async () => {
      await publish(topic, 3, 6);
      await until(leader, `window.entries.some((e) => e.n === 5)`);
    });
    await until(follower, `window.el.state === 'open'`);
    await publish(topic, 6, 9);
    for (const tab of [leader, follower]) {
      await until(tab, `window.entries.some((e) => e.n === 8)`);
      expect(await messages(tab), JSON.stringify(await entries(tab))).to.deep.equal(numbers(0, 9));
    }
    expect(await leader.eval('window.el.leader')).to.equal(true);
  });

  it('<sse-feed> away and back twice: every event once', async () => {
    const topic = uniqueName('rt22-twice');
    const tab = await tabWith(
      `<sse-feed type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
    );
    await publish(topic, 0, 2);
    await until(tab, `window.entries.some((e) => e.n === 1)`);
    await awayAndBack(tab, () => publish(topic, 2, 4));
    await until(tab, `window.entries.some((e) => e.n === 3)`);
    await awayAndBack(tab, () => publish(topic, 4, 6));
    await until(tab, `window.el.state === 'open'`);
    await publish(topic, 6, 8);
    await until(tab, `window.entries.some((e) => e.n === 7)`);
    expect(await messages(tab), JSON.stringify(await entries(tab))).to.deep.equal(numbers(0, 8));
  });

  // <tab-channel> does not follow the page lifecycle. WebKit keeps a page with an open
  // BroadcastChannel in the cache and DROPS what is posted to it meanwhile (whatwg/html#7253,
  // #8972); Chromium evicts such a page on the first message (going back reloads it).
  const channelTab = async (attrs: string, name: string) => {
    const tab = await tabWith(`<tab-channel name="${name}" ${attrs}></tab-channel>`);
    await tab.eval(`(window.el.addEventListener('message', (e) => (window.last = e.data)), true)`);
    return tab;
  };

  it('<tab-channel elect>: the leader goes into the cache, the other tab leads; back, exactly one leader', async () => {
    const name = uniqueName('rt22-elect');
    const first = await channelTab('elect', name);
    await until(first, 'window.el.leader');
    const second = await channelTab('elect', name);
    await until(
      second,
      `window.el.leaderId === ${JSON.stringify(await first.eval('window.el.tabId'))}`,
    );
    // Chromium evicts a page whose channel gets a message while cached: nothing to check then.
    if (!(await awayAndBack(first, () => until(second, 'window.el.leader'), '', true))) return;
    // Give the restored tab a chance to settle, judged by the other tab's view.
    await until(first, `window.el.leaderId && window.el.leaderId === window.el.leaderId`);
    const view = async () => ({
      first: await first.eval<[boolean, string]>('[window.el.leader, window.el.leaderId]'),
      second: await second.eval<[boolean, string]>('[window.el.leader, window.el.leaderId]'),
    });
    const deadline = Date.now() + 8000;
    let seen = await view();
    while (
      Date.now() < deadline &&
      (seen.first[0] === seen.second[0] || seen.first[1] !== seen.second[1])
    ) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await view();
    }
    expect(seen.first[0] !== seen.second[0], `two or no leaders: ${JSON.stringify(seen)}`).to.equal(
      true,
    );
    expect(seen.first[1], JSON.stringify(seen)).to.equal(seen.second[1]);
  });

  it("<tab-channel presence>: a tab back from the cache is in the other tab's peers again", async () => {
    const name = uniqueName('rt22-presence');
    const first = await channelTab('presence', name);
    const second = await channelTab('presence', name);
    await until(first, 'window.el.peers.length === 2');
    await until(second, 'window.el.peers.length === 2');
    // Chromium evicts a page whose channel gets a message while cached: nothing to check then.
    if (!(await awayAndBack(second, () => until(first, 'window.el.peers.length === 1'), '', true)))
      return;
    await until(first, 'window.el.peers.length === 2');
    await until(second, 'window.el.peers.length === 2');
  });
});

// README "Back/forward cache": "on pagehide a running element closes its connection quietly: ...
// no close and no error event" — in every engine, cached or not. The events are written to
// sessionStorage as they fire, so they are read on the page navigated to (Firefox, which does
// not restore such a page here, included).
describe(`red team #22: leaving the page is quiet (${engine})`, () => {
  afterEach(() => closeAllTabs());
  const kinds = {
    '<sse-feed>': (topic: string) =>
      `<sse-feed type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
    '<sse-feed mode="native">': (topic: string) =>
      `<sse-feed mode="native" type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
    '<socket-relay>': (topic: string) =>
      `<socket-relay type="json" src="/realtime/ws" topic="${topic}"></socket-relay>`,
  };
  for (const [name, html] of Object.entries(kinds))
    for (const when of ['open'])
      it(`${name} ${when} when the page navigates away: no error and no close event`, async () => {
        const topic = uniqueName('rt22-quiet');
        const key = uniqueName('rt22-log');
        const tab = await Tab.open();
        await tab.eval(`(() => {
          const holder = document.createElement('div');
          holder.innerHTML = ${JSON.stringify(html(topic))};
          const el = (window.el = holder.firstElementChild);
          const log = (entry) => sessionStorage.setItem('${key}', JSON.stringify([...JSON.parse(sessionStorage.getItem('${key}') || '[]'), entry]));
          addEventListener('pagehide', () => log('pagehide'));
          for (const type of ['error', 'close', 'statechange'])
            el.addEventListener(type, (event) => log(type + ':' + (event.code ?? event.state ?? '')));
          document.body.append(el);
          return true;
        })()`);
        if (when === 'open') await tab.waitFor(`window.el.state === 'open'`, 30_000);
        await tab.eval(`setTimeout(() => (location.href = '/test/fixtures/away.html'), 0), true`);
        await tab.waitFor(
          `document.title === 'away' && document.readyState === 'complete'`,
          30_000,
        );
        // A task or two on the new page for anything late from the old one.
        await tab.eval('new Promise((r) => setTimeout(r, 100)).then(() => true)');
        const log = await tab.eval<string[]>(
          `JSON.parse(sessionStorage.getItem('${key}') || '[]')`,
        );
        expect(
          log.filter((entry) => entry.startsWith('error') || entry.startsWith('close:')),
          JSON.stringify(log),
        ).to.deep.equal([]);
      });
});

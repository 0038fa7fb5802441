// The back/forward cache, for real: a tab the test opened itself (a window.open popup is never
// cached in Chromium) navigates away and back, from inside the page as a link and the back
// button would. The network elements close quietly on `pagehide` and resume from their cursor
// on `pageshow`: nothing lost, nothing doubled. Each test checks that the page really came back
// from the cache (`pageshow` with `persisted: true`), not from a fresh load.
//
// WebKit cancels a page's fetches as soon as a navigation starts, before `pagehide`, and
// refuses new ones while it is pending: the elements pause quietly then too, and resume if the
// page stays after all (a 204 answer here, a download in the wild).
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

/** A tab with one element, every event it fires and every `pageshow` recorded. */
async function tabWith(html: string): Promise<Tab> {
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
  await until(tab, `window.el.state === 'open'`);
  return tab;
}

const entries = (tab: Tab) => tab.eval<Entry[]>('window.entries');

/** `tab.waitFor`, failing with the element's state and events so far. */
const until = (tab: Tab, expression: string) =>
  tab.waitFor(expression, 30_000).catch(async (error: Error) => {
    const log = await entries(tab).catch(() => 'unreadable');
    const state = await tab.eval('window.el.state').catch(() => '?');
    throw new Error(`${error.message}; state ${state}; events ${JSON.stringify(log)}`);
  });
const numbers = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Away and back; fails unless the page came back from the back/forward cache. */
async function awayAndBack(tab: Tab, whileAway: () => Promise<unknown>): Promise<void> {
  await tab.navigate('/test/fixtures/away.html', `document.title === 'away'`);
  await whileAway();
  await tab.navigate('back', `document.title !== 'away' && window.shows?.length > 0`);
  const shows = await tab.eval<string[]>('window.shows');
  expect(
    shows,
    'the page was loaded again, not restored from the back/forward cache',
  ).to.deep.equal(['cached']);
}

const messageNumbers = async (tab: Tab) =>
  (await entries(tab)).filter((e) => e.type === 'message').map((e) => e.n);

const elements = {
  '<sse-feed>': (topic: string) =>
    `<sse-feed type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
  '<sse-feed mode="native">': (topic: string) =>
    `<sse-feed mode="native" type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`,
  '<socket-relay>': (topic: string) =>
    `<socket-relay type="json" src="/realtime/ws" topic="${topic}"></socket-relay>`,
  '<poll-feed long>': (topic: string) =>
    `<poll-feed long type="json" src="/realtime/poll?topic=${topic}"></poll-feed>`,
};

describe('back/forward cache', () => {
  afterEach(() => closeAllTabs());

  for (const [name, html] of Object.entries(elements)) {
    it(`${name} with its connection open pauses quietly when the page is cached and resumes from its cursor when it comes back`, async () => {
      const topic = uniqueName('bfcache');
      const tab = await tabWith(html(topic));
      await publish(topic, 0, 5);
      await until(tab, `window.entries.filter((e) => e.type === 'message').length >= 5`);

      await awayAndBack(tab, async () => {
        // Published while the page is frozen: delivered after the restore, from the cursor.
        await publish(topic, 5, 10);
      });
      await until(tab, `window.el.state === 'open'`);
      await publish(topic, 10, 15);
      // A sentinel after the last event: anything doubled would have arrived before it.
      await publish(topic, 15, 16);
      await until(tab, `window.entries.some((e) => e.n === 15)`);

      const log = await entries(tab);
      const seen = JSON.stringify(log.filter((e) => e.type !== 'message'));
      const messages = log.filter((e) => e.type === 'message').map((e) => e.n);
      expect(messages, seen).to.deep.equal(numbers(0, 16));
      // Paused on pagehide without a close or an error; open again after the restore.
      expect(
        log.filter((e) => e.type !== 'message' && e.type !== 'open'),
        seen,
      ).to.deep.equal(
        ['connecting', 'open', 'paused', 'connecting', 'open'].map((state) => ({
          type: 'statechange',
          state,
        })),
      );
    });
  }

  it('a shared leader with its connection open gives up its lock on pagehide: another tab takes over at once; back, it resumes from its cursor', async () => {
    const topic = uniqueName('bfcache-shared');
    const html = `<sse-feed shared type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`;
    const first = await tabWith(html);
    await until(first, 'window.el.leader');
    const second = await tabWith(html);
    expect(await second.eval('window.el.leader')).to.equal(false);
    await publish(topic, 0, 5);
    for (const tab of [first, second])
      await until(tab, `window.entries.filter((e) => e.type === 'message').length >= 5`);

    await awayAndBack(first, async () => {
      // The follower leads now: its lock was released on pagehide, no lock timeout involved.
      await until(second, 'window.el.leader');
      await publish(topic, 5, 10);
      await until(second, `window.entries.filter((e) => e.type === 'message').length >= 10`);
    });
    await until(first, `window.el.state === 'open'`);
    await publish(topic, 10, 15);
    for (const tab of [first, second]) {
      await until(tab, `window.entries.some((e) => e.n === 14)`);
      const messages = (await entries(tab)).filter((e) => e.type === 'message').map((e) => e.n);
      expect(messages).to.deep.equal(numbers(0, 15));
    }
    // The restored tab resumed on a connection of its own, from its cursor: the other leads.
    expect(await first.eval('window.el.leader')).to.equal(false);
    expect(await second.eval('window.el.leader')).to.equal(true);
  });

  it('a shared <socket-relay> with its connection open, back from the cache, resumes and sends on a socket of its own: every message once', async () => {
    const topic = uniqueName('bfcache-relay');
    const html = `<socket-relay shared type="json" src="/realtime/ws" topic="${topic}"></socket-relay>`;
    const first = await tabWith(html);
    await until(first, 'window.el.leader');
    const second = await tabWith(html);
    await publish(topic, 0, 3);
    for (const tab of [first, second])
      await until(tab, `window.entries.filter((e) => e.type === 'message').length >= 3`);

    await awayAndBack(first, async () => {
      await until(second, 'window.el.leader');
      await publish(topic, 3, 6);
      await until(second, `window.entries.filter((e) => e.type === 'message').length >= 6`);
    });
    await until(first, `window.el.state === 'open'`);
    await first.eval(`window.el.send({ n: 6 })`);
    await until(second, `window.entries.some((e) => e.n === 6)`);
    // A sentinel after the last message: anything doubled would have arrived before it.
    await publish(topic, 7, 8);
    for (const tab of [first, second]) await until(tab, `window.entries.some((e) => e.n === 7)`);
    const messages = async (tab: Tab) =>
      (await entries(tab)).filter((e) => e.type === 'message').map((e) => e.n);
    // A sender never hears its own message.
    expect(await messages(first)).to.deep.equal([0, 1, 2, 3, 4, 5, 7]);
    expect(await messages(second)).to.deep.equal(numbers(0, 8));
  });
  it('<poll-feed long interval> between two polls is cached in every engine and polls from its cursor at once when it comes back', async () => {
    const topic = uniqueName('bfcache-idle');
    // Nothing in flight between two polls: even Firefox, which keeps a page with an open
    // request out of the cache, caches this one.
    const tab = await tabWith(
      `<poll-feed long interval="600000" type="json" src="/realtime/poll?topic=${topic}"></poll-feed>`,
    );
    await publish(topic, 0, 5);
    await tab.eval('window.el.poll(), true');
    await until(tab, `window.entries.some((e) => e.n === 4)`);

    await awayAndBack(tab, () => publish(topic, 5, 10));
    // At once, not after its 10-minute interval: from the cursor, so 5…9 and nothing before.
    await until(tab, `window.entries.some((e) => e.n === 9)`);
    await publish(topic, 10, 16);
    await tab.eval('window.el.poll(), true');
    await until(tab, `window.entries.some((e) => e.n === 15)`);

    const log = await entries(tab);
    const seen = JSON.stringify(log.filter((e) => e.type !== 'message'));
    expect(await messageNumbers(tab), seen).to.deep.equal(numbers(0, 16));
    expect(
      log.filter((e) => e.type === 'statechange').map((e) => e.state),
      seen,
    ).to.deep.equal(['connecting', 'open', 'paused', 'connecting', 'open']);
    expect(
      log.filter((e) => e.type === 'error' || e.type === 'close'),
      seen,
    ).to.deep.equal([]);
  });

  for (const [name, html] of Object.entries(elements)) {
    it(`${name} stays quiet when a navigation starts and the page stays after all (a 204): nothing lost, nothing doubled`, async () => {
      const topic = uniqueName('bfcache-stay');
      const tab = await tabWith(html(topic));
      await publish(topic, 0, 5);
      await until(tab, `window.entries.filter((e) => e.type === 'message').length >= 5`);

      // A 204 answer to a navigation leaves the page where it is, after its beforeunload.
      await tab.eval(`addEventListener('beforeunload', () => (window.leaving = true)),
        setTimeout(() => (location.href = '/poll-test/status?status=204&key=${topic}'), 0), true`);
      // What a starting navigation does to a page's connections: WebKit (2.50) cuts its fetches
      // and stalls its EventSources (open, silent for good); Firefox (153) cuts its fetches and
      // EventSources and closes its WebSockets (1001); Chromium leaves them. A cut or stalled
      // connection pauses, then resumes from its cursor ~1 s later; native mode does so in every
      // engine (an EventSource cannot tell a stall from a quiet stream).
      const cut =
        engine === 'firefox' ||
        /native/.test(name) ||
        (engine === 'webkit' && !/socket/.test(name));
      await until(tab, 'window.leaving');
      await publish(topic, 5, 10);
      // Paused and resumed (when the engine cut the connection), then 5…9 from the cursor.
      await until(
        tab,
        `window.el.state === 'open' && window.entries.some((e) => e.n === 9) &&
          ${cut} === window.entries.some((e) => e.state === 'paused')`,
      );
      // A sentinel after the last event: anything doubled would have arrived before it.
      await publish(topic, 10, 11);
      await until(tab, `window.entries.some((e) => e.n === 10)`);

      const log = await entries(tab);
      const seen = JSON.stringify(log.filter((e) => e.type !== 'message'));
      expect(await messageNumbers(tab), seen).to.deep.equal(numbers(0, 11));
      expect(
        log.filter((e) => e.type === 'error' || e.type === 'close'),
        seen,
      ).to.deep.equal([]);
      expect(await tab.eval('window.shows'), 'the page stayed').to.deep.equal([]);
      const states = log.filter((e) => e.type === 'statechange').map((e) => e.state);
      expect(states, seen).to.deep.equal(
        cut ? ['connecting', 'open', 'paused', 'connecting', 'open'] : ['connecting', 'open'],
      );
    });
  }
});

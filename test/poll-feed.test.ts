import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/poll-feed-define.js';
import { PollFeedElement } from '../src/poll-feed.js';
import { RealtimeErrorEvent, RealtimeMessageEvent, ResetEvent } from '../src/index.js';
import { Tab, closeAllTabs, hubStream, record, sleep, uniqueName, waitUntil } from './helpers.js';

interface PollLog {
  log: { at: number; ifNoneMatch: string | null; status: number; closed: boolean }[];
  maxInFlight: number;
}

const requests = (key: string) => executeServerCommand<PollLog, unknown>('poll-requests', { key });
const setBody = (key: string, body: string) => executeServerCommand('poll-set', { key, body });
const dataOf = (events: Event[]) => events.map((event) => (event as RealtimeMessageEvent).data);

function poller(src: string, attrs: Record<string, string> = {}): PollFeedElement {
  const el = document.createElement('poll-feed');
  el.setAttribute('retry-min', '20');
  el.setAttribute('retry-max', '60');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.setAttribute('src', src);
  return el;
}

const hidden = (value: boolean) => {
  if (value)
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  else delete (document as { visibilityState?: string }).visibilityState;
  // Headless tabs are always visible: overriding the state is the one allowed stand-in.
  document.dispatchEvent(new Event('visibilitychange'));
};

describe('<poll-feed>', () => {
  afterEach(() => {
    document.querySelectorAll('poll-feed').forEach((el) => el.remove());
    delete (document as { visibilityState?: string }).visibilityState;
  });

  it('creates from HTML and delivers the first body', async () => {
    const key = uniqueName('html');
    const el = await fixture<PollFeedElement>(
      html`<poll-feed src=${`/poll-test/etag?key=${key}`} interval="50"></poll-feed>`,
    );
    expect(el).to.be.instanceOf(PollFeedElement);
    const event = (await oneEvent(el, 'message')) as RealtimeMessageEvent;
    expect([event.data, event.origin, event.bubbles]).to.deep.equal([
      'initial',
      location.origin,
      false,
    ]);
    expect(el.state).to.equal('open');
  });

  it('ETag: a 304 fires nothing; a change fires one message', async () => {
    const key = uniqueName('etag');
    const el = poller(`/poll-test/etag?key=${key}`, { interval: '30', type: 'json' });
    await setBody(key, '{"v":1}');
    const messages = record(el, 'message');
    document.body.append(el);
    await waitUntil(async () => (await requests(key)).log.length >= 4);
    expect(dataOf(messages)).to.deep.equal([{ v: 1 }]);
    const { log } = await requests(key);
    expect(log.slice(1).every((entry) => entry.status === 304 && entry.ifNoneMatch)).to.equal(true);
    await setBody(key, '{"v":2}');
    await waitUntil(() => messages.length === 2);
    expect(dataOf(messages)).to.deep.equal([{ v: 1 }, { v: 2 }]);
  });

  it('without validators, an identical body fires nothing', async () => {
    const key = uniqueName('plain');
    const el = poller(`/poll-test/plain?key=${key}`, { interval: '30' });
    const messages = record(el, 'message');
    document.body.append(el);
    await waitUntil(async () => (await requests(key)).log.length >= 4);
    expect(dataOf(messages)).to.deep.equal(['initial']);
    await setBody(key, 'changed');
    await waitUntil(() => messages.length === 2);
  });

  it('backs off on 500 (http-status) and recovers; honours Retry-After', async () => {
    const key = uniqueName('status');
    const el = poller(`/poll-test/status?key=${key}&status=500,503,200`, { interval: '10000' });
    const errors = record<RealtimeErrorEvent>(el, 'error');
    const messages = record(el, 'message');
    document.body.append(el);
    await waitUntil(() => messages.length === 1);
    expect(errors.map((e) => [e.code, e.status])).to.deep.equal([
      ['http-status', 500],
      ['http-status', 503],
    ]);
    expect(dataOf(messages)).to.deep.equal(['status 200 #3']);

    const slowKey = uniqueName('retry-after');
    const later = poller(`/poll-test/status?key=${slowKey}&status=429,200&retry-after=1`);
    document.body.append(later);
    await waitUntil(async () => (await requests(slowKey)).log.length === 2, 15_000);
    const [first, second] = (await requests(slowKey)).log;
    expect(second.at - first.at).to.be.at.least(950);
  });

  it('a body that is not JSON with type="json" is a parse-error, and polling goes on', async () => {
    const key = uniqueName('bad');
    await setBody(key, '{broken');
    const el = poller(`/poll-test/plain?key=${key}`, { interval: '30', type: 'json' });
    const errors = record<RealtimeErrorEvent>(el, 'error');
    const messages = record(el, 'message');
    document.body.append(el);
    await waitUntil(() => errors.length === 1);
    expect([errors[0].code, errors[0].raw]).to.deep.equal(['parse-error', '{broken']);
    await setBody(key, '[1]');
    await waitUntil(() => messages.length === 1);
    expect(dataOf(messages)).to.deep.equal([[1]]);
  });

  it('pauses while the tab is hidden and polls at once when visible; poll-hidden opts out', async () => {
    const key = uniqueName('hidden');
    const el = poller(`/poll-test/etag?key=${key}`, { interval: '30' });
    const keep = poller(`/poll-test/etag?key=${key}-keep`, { interval: '30', 'poll-hidden': '' });
    document.body.append(el, keep);
    await waitUntil(() => el.state === 'open' && keep.state === 'open');
    hidden(true);
    expect(el.state).to.equal('paused');
    const count = (await requests(key)).log.length;
    const keepCount = (await requests(`${key}-keep`)).log.length;
    // The opted-out element's polls are the clock: three of them, and the paused one made none.
    await waitUntil(
      async () => (await requests(`${key}-keep`)).log.length > keepCount + 2,
      15_000,
      'poll-hidden keeps polling',
    );
    expect((await requests(key)).log.length).to.equal(count);
    hidden(false);
    // At least: with a 30 ms interval the next polls may follow before this reads the log.
    await waitUntil(
      async () => (await requests(key)).log.length >= count + 1,
      15_000,
      'a poll at once',
    );
    expect(el.state).to.equal('open');
  });

  it('never has two requests in flight; removal aborts the one in flight', async () => {
    const key = uniqueName('slow');
    const el = poller(`/poll-test/slow?key=${key}&ms=150`, { interval: '0' });
    document.body.append(el);
    await waitUntil(async () => (await requests(key)).log.length >= 3, 15_000);
    el.poll();
    el.poll();
    await sleep(200);
    el.remove();
    await waitUntil(async () => (await requests(key)).log.at(-1)!.closed, 15_000, 'aborted');
    const { log, maxInFlight } = await requests(key);
    expect(maxInFlight).to.equal(1);
    await sleep(300);
    expect((await requests(key)).log.length).to.equal(log.length);
  });

  it('missing-src, invalid-url, invalid-attribute; network errors are retried', async () => {
    for (const [attrs, code] of [
      [{}, 'missing-src'],
      [{ src: 'http://[x' }, 'invalid-url'],
      [{ src: '/x', type: 'xml' }, 'invalid-attribute'],
    ] as [Record<string, string>, string][]) {
      const el = document.createElement('poll-feed');
      for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await el.updateComplete;
      expect(errors.map((e) => e.code)).to.deep.equal([code]);
      el.remove();
    }
    const unreachable = poller('http://127.0.0.1:9/none');
    const errors = record<RealtimeErrorEvent>(unreachable, 'error');
    document.body.append(unreachable);
    await waitUntil(() => errors.length >= 2);
    expect(errors[0].code).to.equal('network');
  });

  it('a poll not answered within timeout is aborted with timeout and retried', async () => {
    const key = uniqueName('never');
    const el = poller(`/poll-test/slow?key=${key}&ms=30000`, { timeout: '300' });
    expect(poller('/x').timeout).to.equal(40_000);
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.length >= 2, 20_000);
    expect(errors.map((e) => e.code).slice(0, 2)).to.deep.equal(['timeout', 'timeout']);
    expect(el.state).to.equal('connecting');
    // The timed-out poll was aborted, not left open beside its retry.
    await waitUntil(async () => (await requests(key)).log[0].closed, 20_000);
  });

  // Offline emulation cuts the test page's own link to the runner, so this runs in a second tab.
  it('makes no request while offline and polls at once on online', async () => {
    const key = uniqueName('offline');
    const tab = await Tab.open();
    try {
      await tab.eval(`(async () => {
        await import('/src/poll-feed-define.ts');
        window.fetches = 0;
        const realFetch = window.fetch;
        window.fetch = (...args) => (window.fetches++, realFetch(...args));
        const el = document.createElement('poll-feed');
        el.setAttribute('interval', '300');
        el.setAttribute('src', '/poll-test/etag?key=${key}');
        window.messages = 0;
        el.addEventListener('message', () => window.messages++);
        document.body.append(el);
        return true;
      })()`);
      await tab.waitFor('window.messages === 1');
      await tab.setOffline(true);
      // The tab learns it is offline by its own message from the browser: a poll that came due
      // before that is no fault of the element.
      await tab.waitFor('navigator.onLine === false');
      const fetches = await tab.eval<number>('window.fetches');
      // Two polls come due meanwhile; none is made.
      await sleep(800);
      expect(await tab.eval('window.fetches')).to.equal(fetches);
      const served = (await requests(key)).log.length;
      await tab.setOffline(false);
      await tab.waitFor(`window.fetches > ${fetches}`, 15_000);
      await waitUntil(async () => (await requests(key)).log.length > served, 15_000, 'the poll');
      // The server logs the request before the tab has its response: wait for the tab's state.
      expect(await tab.waitFor('document.querySelector("poll-feed").state === "open"')).to.equal(
        true,
      );
    } finally {
      await closeAllTabs();
    }
  });

  describe('long polling against the hub', () => {
    it('delivers hub events with their ids', async () => {
      const topic = uniqueName('long');
      const el = poller(`/realtime/poll?topic=${topic}`, { long: '' });
      const messages = record<RealtimeMessageEvent>(el, 'message');
      document.body.append(el);
      // The first poll (no cursor) is answered at once with the cursor it starts from.
      await waitUntil(() => el.lastEventId !== '', 15_000, 'the first cursor');
      const [id] = await executeServerCommand<string[], unknown>('hub-publish', {
        topic,
        many: [{ n: 1 }],
      });
      await waitUntil(() => messages.length === 1, 15_000);
      expect(messages[0].data).to.deep.equal({ n: 1 });
      expect(messages[0].lastEventId).to.equal(id);
      expect((messages[0] as unknown as { topic: string }).topic).to.equal(topic);
      expect(el.lastEventId).to.equal(id);
    });

    it('a cursor the hub cannot resume gives a reset event', async () => {
      const topic = uniqueName('reset');
      const el = poller(`/realtime/poll?topic=${topic}`, { long: '', 'last-event-id': 'zzzz-3' });
      const reset = oneEvent(el, 'reset') as Promise<ResetEvent>;
      document.body.append(el);
      const event = await reset;
      expect(event.reason).to.equal('epoch');
      expect(el.lastEventId).to.equal(event.lastEventId);
    });

    it('no gap and no duplicate across 100 forced disconnects', async function () {
      this.timeout(60_000);
      const topic = uniqueName('continuity');
      const el = poller(`/realtime/poll?topic=${topic}`, {
        long: '',
        'retry-min': '5',
        'retry-max': '20',
      });
      const received: number[] = [];
      el.addEventListener('message', (event) => received.push(event.data as number));
      document.body.append(el);
      // The element's own first poll has been answered with its cursor (another test's poll
      // may be open too, so the hub's poll count proves nothing).
      await waitUntil(() => el.lastEventId !== '', 15_000, 'the first cursor');
      await hubStream(topic, 3000, 100);
      const seen = record(el, 'error', 'reset');
      await waitUntil(() => received.length >= 3000, 30_000, '3,000 events').catch((error) => {
        const firstGap = received.findIndex((value, i) => value !== i + 1);
        throw new Error(
          `${error.message}: got ${received.length}, first gap at index ${firstGap} (${received[firstGap - 1]}→${received[firstGap]}), ` +
            `state ${el.state}, events ${seen.map((e) => (e as RealtimeErrorEvent).code ?? e.type).join(',')}`,
        );
      });
      await sleep(100);
      expect(received.length).to.equal(3000);
      expect(received.every((value, index) => value === index + 1)).to.equal(true);
    });
  });
});

describe('<poll-feed>: a call from inside a listener wins over what the element does next', () => {
  afterEach(() => document.querySelectorAll('poll-feed').forEach((el) => el.remove()));

  it('disabled = true in a message listener: no next poll is scheduled', async () => {
    const key = uniqueName('disable');
    const el = poller(`/poll-test/etag?key=${key}`, { interval: '20' });
    el.addEventListener('message', () => (el.disabled = true), { once: true });
    const sentinelKey = uniqueName('sentinel');
    const sentinel = poller(`/poll-test/etag?key=${sentinelKey}`, { interval: '20' });
    document.body.append(el);
    await waitUntil(() => el.state === 'closed' && el.disabled, 15_000);
    const served = (await requests(key)).log.length;
    // Must-not-arrive: a feed polling at the same interval polls three times meanwhile.
    document.body.append(sentinel);
    await waitUntil(async () => (await requests(sentinelKey)).log.length >= 3, 15_000);
    expect((await requests(key)).log.length).to.equal(served);
  });

  it('remove() in an open listener: nothing delivered, nothing scheduled', async () => {
    const key = uniqueName('remove');
    const el = poller(`/poll-test/etag?key=${key}`, { interval: '20' });
    el.addEventListener('open', () => el.remove(), { once: true });
    const messages = record(el, 'message');
    const sentinelKey = uniqueName('sentinel');
    const sentinel = poller(`/poll-test/etag?key=${sentinelKey}`, { interval: '20' });
    document.body.append(el);
    await waitUntil(() => !el.isConnected, 15_000);
    document.body.append(sentinel);
    await waitUntil(async () => (await requests(sentinelKey)).log.length >= 3, 15_000);
    expect(messages).to.have.length(0);
    expect((await requests(key)).log.length).to.equal(1);
  });
});

/**
 * `<sse-feed>` against `EventSource` semantics (WHATWG HTML § 9.2): resume across origins,
 * ids as UTF-8, readyState during a drop, native mode's resume point, `retry:`, 204 per mode.
 * A plain `EventSource` runs first as the control wherever the behaviour is EventSource's.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { RealtimeCloseEvent, RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { engine, record, uniqueName, waitUntil } from './helpers.js';

interface SeenRequest {
  at: number;
  method: string;
  lastEventId: string | null;
  query: string | null;
  closed: boolean;
}

const requestsFor = (key: string) =>
  executeServerCommand<SeenRequest[], unknown>('sse-test-requests', { key });
let crossOrigin = '';
/** A scenario of the test server, same-origin or on its second origin. */
const scenario = (name: string, query = '', cross = false) => {
  const key = uniqueName(name);
  const path = `/sse-test/${name}?key=${key}${query ? `&${query}` : ''}`;
  return { key, src: cross ? `${crossOrigin}${path}` : path };
};
const feed = (src: string, attrs: Record<string, string> = {}) => {
  const el = document.createElement('sse-feed');
  el.setAttribute('retry-min', '20');
  el.setAttribute('retry-max', '60');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.setAttribute('src', src);
  return el;
};
const messagesOf = (el: EventTarget) => record<RealtimeMessageEvent>(el, 'message');
const pairs = (events: RealtimeMessageEvent[]) => events.map((e) => [e.data, e.lastEventId]);

/** A plain EventSource: the control. Collects `message` events until closed. */
function control(src: string) {
  const source = new EventSource(src);
  const events: MessageEvent[] = [];
  source.onmessage = (event) => events.push(event);
  return { source, events };
}

before(async () => {
  ({ origin: crossOrigin } = await executeServerCommand<{ origin: string }, unknown>(
    'sse-test-origin',
  ));
  expect(new URL(crossOrigin).origin).not.to.equal(location.origin);
});
afterEach(() => document.querySelectorAll('sse-feed').forEach((el) => el.remove()));

describe('<sse-feed> resumes across origins like EventSource', () => {
  // The server answers GET with Access-Control-Allow-Origin, OPTIONS with 405 (it never
  // expects a preflight), drops after 5 events and resumes only from the Last-Event-ID header.
  it('control: a plain EventSource resumes 1-10 (no preflight for its own Last-Event-ID)', async function () {
    this.timeout(60_000);
    const { key, src } = scenario('numbered', 'count=10&cut=5&retry=100', true);
    const { source, events } = control(src);
    await waitUntil(() => events.length === 10, 15_000, '10 events');
    source.close();
    expect(events.map((e) => e.data)).to.deep.equal([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
    ]);
    const seen = await requestsFor(key);
    expect(seen.map((r) => [r.method, r.lastEventId])).to.deep.equal([
      ['GET', null],
      ['GET', '5'],
    ]);
  });

  for (const mode of ['auto', 'native'] as const) {
    it(`mode="${mode}" resumes 1-10 exactly, with no preflight and no duplicate`, async function () {
      this.timeout(60_000);
      const { key, src } = scenario('numbered', 'count=10&cut=5&retry=100', true);
      const el = feed(src, { mode, 'retry-min': '50', 'retry-max': '300' });
      const messages = messagesOf(el);
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => messages.length >= 10, 15_000, '10 events');
      expect(pairs(messages)).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => [`${i + 1}`, `${i + 1}`]),
      );
      expect(errors).to.have.length(0);
      const seen = await requestsFor(key);
      expect(seen.map((r) => [r.method, r.lastEventId])).to.deep.equal([
        ['GET', null],
        ['GET', '5'],
      ]);
      expect(el.lastEventId).to.equal('10');
    });
  }

  it('mode="fetch" cross-origin: resuming needs the preflight; refused, it says so and never re-delivers', async () => {
    const { key, src } = scenario('numbered', 'count=10&cut=5&retry=100', true);
    const el = feed(src, { mode: 'fetch' });
    const messages = messagesOf(el);
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.length >= 2, 15_000, 'two refused resumes');
    expect(messages.map((e) => e.data)).to.deep.equal(['1', '2', '3', '4', '5']);
    expect(errors[0].code).to.equal('network');
    expect(errors[0].message).to.contain('Last-Event-ID');
    const seen = await requestsFor(key);
    expect(seen[0].method).to.equal('GET');
    expect(seen.slice(1).every((r) => r.method === 'OPTIONS')).to.equal(true);
  });

  it('mode="auto" cross-origin with a fetch-only feature (headers) uses fetch', async () => {
    const { key, src } = scenario('numbered', 'count=3', true);
    const el = feed(src) as SseFeedElement;
    el.headers = { Accept: 'text/event-stream' };
    const messages = messagesOf(el);
    document.body.append(el);
    await waitUntil(() => messages.length === 3);
    // A fetch with no cursor sends only safelisted headers: no preflight either.
    expect((await requestsFor(key)).map((r) => r.method)).to.deep.equal(['GET']);
    expect((messages[0] as unknown as { eventType: string }).eventType).to.equal('message');
  });
});

describe('<sse-feed> sends ids as UTF-8, and no id breaks a reconnect', () => {
  it('control: EventSource sends café-1 as UTF-8, and trims the spaces around " sp1 "', async function () {
    this.timeout(60_000);
    const cafe = scenario(
      'ids',
      `cut=1&retry=100&ids=${encodeURIComponent('café-1,café-2')}`,
      true,
    );
    const spaced = scenario('ids', `cut=1&retry=100&ids=${encodeURIComponent(' sp1 ,x')}`, true);
    const a = control(cafe.src);
    const b = control(spaced.src);
    await waitUntil(() => a.events.length === 2 && b.events.length === 2, 15_000);
    a.source.close();
    b.source.close();
    expect((await requestsFor(cafe.key))[1].lastEventId).to.equal('café-1');
    expect((await requestsFor(spaced.key))[1].lastEventId).to.equal('sp1');
  });

  for (const mode of ['fetch', 'native'] as const) {
    it(`mode="${mode}": café-1..4 with a cut after each resumes on the UTF-8 id`, async () => {
      const ids = 'café-1,café-2,café-3,café-4';
      // EventSource reconnects after its default (3 s in Chromium, 5 s in Firefox) unless told.
      const retry = mode === 'native' ? '&retry=100' : '';
      const { key, src } = scenario('ids', `cut=1${retry}&ids=${encodeURIComponent(ids)}`);
      const el = feed(src, { mode });
      const messages = messagesOf(el);
      document.body.append(el);
      await waitUntil(() => messages.length === 4, 15_000, '4 events');
      expect(messages.map((e) => e.lastEventId)).to.deep.equal(ids.split(','));
      const seen = await requestsFor(key);
      // A cut may come before this page has read the event in flight: the browser's stream then
      // drops it with the error (Streams § ReadableStreamError discards queued chunks) and the
      // element rightly resumes from the id before once more. The ids sent must be these, in order.
      const sent = seen.map((r) => r.lastEventId ?? r.query);
      expect(sent.filter((id, i) => i === 0 || id !== sent[i - 1])).to.deep.equal([
        null,
        'café-1',
        'café-2',
        'café-3',
      ]);
      // Fetch mode sends é in the header in every engine (WebKit's fetch can send a character
      // below U+0100). A replacement EventSource (native mode) can only use the query.
      if (mode === 'fetch')
        expect(seen.map((r) => r.query)).to.deep.equal([null, null, null, null]);
    });
  }

  // A control character: Node answers 400 to such a header (and EventSource never reconnects
  // with it), so that id travels in the lastEventId query parameter.
  it('fetch mode: "…" (WPT format-field-id), an astral id, a control character and spaces all reconnect', async () => {
    const ids = ['…', '😀x', 'a\u0001b', ' sp1 ', 'end'];
    const { key, src } = scenario('ids', `cut=1&ids=${encodeURIComponent(ids.join(','))}`);
    const el = feed(src, { mode: 'fetch' });
    const messages = messagesOf(el);
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    // " sp1 " travels trimmed, as EventSource sends it (HTTP strips spaces around a value).
    await waitUntil(
      () => messages.some((e) => e.lastEventId === 'end'),
      15_000,
      'the last id',
    ).catch(async (error) => {
      const sent = (await requestsFor(key)).map((r) => r.lastEventId);
      throw new Error(
        `${error.message}: ${JSON.stringify({ sent, errors: errors.map((e) => e.message), got: messages.map((e) => e.lastEventId) })}`,
      );
    });
    expect(errors).to.have.length(0);
    const sent = (await requestsFor(key)).map((r) => r.lastEventId ?? r.query);
    // A cut can also fall before a response's event is read, and that request is made again
    // with the same id: each id once in order, repeats of one in a row allowed.
    const distinct = sent.filter((id, i) => i === 0 || id !== sent[i - 1]);
    expect(distinct, JSON.stringify(sent)).to.deep.equal([null, '…', '😀x', 'a\u0001b', 'sp1']);
    // "…" and "😀x" go in the header as UTF-8 bytes; WebKit's fetch sends a header's characters
    // as UTF-8 and refuses those above U+00FF, so there they can only go in the query.
    const inHeader = (await requestsFor(key))
      .filter((r) => ['…', '😀x'].includes((r.lastEventId ?? r.query)!))
      .map((r) => r.lastEventId !== null);
    expect(inHeader).to.not.be.empty;
    expect(new Set(inHeader)).to.deep.equal(new Set([engine !== 'webkit']));
    expect(messages.map((e) => e.lastEventId)).to.deep.equal(ids);
  });

  it('a last-event-id attribute no header can carry is invalid-attribute, not a failing loop', async () => {
    const { key, src } = scenario('events');
    const el = feed(src, { 'last-event-id': 'a\nb' });
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.length === 1);
    expect([errors[0].code, el.state]).to.deep.equal(['invalid-attribute', 'error']);
    expect(await requestsFor(key)).to.have.length(0);
  });
});

describe('<sse-feed> readyState during a drop', () => {
  for (const mode of ['fetch', 'native'] as const) {
    it(`mode="${mode}": CONNECTING (0) inside close with willReconnect, as EventSource's error`, async () => {
      const el = feed(scenario('numbered', 'count=4&cut=2&retry=30').src, {
        mode,
      }) as SseFeedElement;
      const inside: [boolean, number, string][] = [];
      el.addEventListener('close', (event) =>
        inside.push([(event as RealtimeCloseEvent).willReconnect, el.readyState, el.state]),
      );
      const messages = messagesOf(el);
      document.body.append(el);
      await waitUntil(() => messages.length === 4, 15_000);
      expect(inside[0]).to.deep.equal([true, 0, 'connecting']);
      el.close();
    });
  }

  it('control: EventSource is CONNECTING inside its error event after a drop', async () => {
    const { source } = control(scenario('numbered', 'count=4&cut=2&retry=30').src);
    const state = await new Promise<number>((resolve) => {
      source.onerror = () => resolve(source.readyState);
    });
    source.close();
    expect(state).to.equal(EventSource.CONNECTING);
  });
});

describe('<sse-feed mode="native"> keeps the resume point like EventSource', () => {
  it('WPT format-field-id-2: id-less events after a reconnect carry the id in force', async () => {
    const el = feed(scenario('wpt-last-event-id').src, { mode: 'native' });
    const messages = messagesOf(el);
    document.body.append(el);
    await waitUntil(() => messages.length === 3, 15_000);
    expect(pairs(messages)).to.deep.equal([
      ['hello', '…'],
      ['…', '…'],
      ['…', '…'],
    ]);
  });

  // HTML § 9.2.6 "dispatch the event": step 1 sets the last event ID string from the buffer,
  // step 2 returns when the data is empty; so `id: 42` with no data moves the resume point.
  // Chromium's EventSource does; Firefox 153's and WebKitGTK 2.50's keep the last id of an event
  // with data (the control below shows it), and native mode cannot do otherwise: it reconnects
  // through the engine's EventSource and never sees a block that dispatches nothing.
  const idOnlyResumesFrom = (mode: 'fetch' | 'native' | 'control') =>
    mode === 'fetch' || engine === 'chromium' ? '42' : '1';

  it('control: where EventSource moves the resume point on an id: block with no data', async function () {
    this.timeout(60_000);
    const { key, src } = scenario('id-only');
    const { source, events } = control(src);
    await waitUntil(() => events.length === 2, 15_000);
    source.close();
    expect(events.map((e) => e.data)).to.deep.equal([
      'one',
      `resumed from ${idOnlyResumesFrom('control')}`,
    ]);
    expect((await requestsFor(key))[1].lastEventId).to.equal(idOnlyResumesFrom('control'));
  });

  for (const mode of ['fetch', 'native'] as const) {
    it(`mode="${mode}": an id: block with no data moves the resume point (native: as the engine's EventSource)`, async function () {
      this.timeout(60_000);
      const { key, src } = scenario('id-only');
      const el = feed(src, { mode });
      const messages = messagesOf(el);
      document.body.append(el);
      await waitUntil(() => messages.length === 2, 15_000);
      const from = idOnlyResumesFrom(mode);
      expect(messages.map((e) => e.data)).to.deep.equal(['one', `resumed from ${from}`]);
      expect((await requestsFor(key))[1].lastEventId).to.equal(from);
    });

    it(`mode="${mode}": retry:0500 is a floor for the next attempt`, async () => {
      const { key, src } = scenario('retry-field', 'retry=0500');
      const el = feed(src, { mode });
      const messages = messagesOf(el);
      document.body.append(el);
      await waitUntil(() => messages.length === 2, 15_000);
      const [first, second] = await requestsFor(key);
      expect(second.at - first.at).to.be.at.least(450);
    });
  }

  it('after EventSource gives up (503) a server reading only the header replays: nothing twice', async function () {
    this.timeout(60_000);
    const { key, src } = scenario('gives-up');
    const el = feed(src, { mode: 'native' });
    const messages = messagesOf(el);
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => messages.length === 5, 15_000, 'events 1-5');
    expect(pairs(messages)).to.deep.equal([
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
      ['4', '4'],
      ['5', '5'],
    ]);
    expect(errors.map((e) => e.code)).to.deep.equal(['network']);
    const seen = await requestsFor(key);
    expect(seen.map((r) => [r.lastEventId, r.query])).to.deep.equal([
      [null, null],
      ['3', null],
      [null, '3'],
    ]);
  });

  it('the replacement EventSource reconnecting by itself behind the cursor replays nothing twice', async () => {
    // Its own reconnect sends its own last id (3, a replayed one), not the page's cursor (6):
    // the server replays 4-6 once more, which must be dropped too, and 7-9 delivered once.
    const { key, src } = scenario('gives-up-short');
    const el = feed(src, { mode: 'native' });
    const messages = messagesOf(el);
    document.body.append(el);
    // A request with the header 9 comes after every event up to 9 was handled.
    await waitUntil(
      async () => (await requestsFor(key)).some((r) => r.lastEventId === '9'),
      20_000,
      'a request resuming after 9',
    );
    const seen = await requestsFor(key);
    expect(
      messages.map((e) => e.lastEventId),
      JSON.stringify(seen),
    ).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(seen.map((r) => [r.lastEventId, r.query])).to.deep.equal([
      [null, null],
      ['6', null],
      [null, '6'],
      ['3', '6'],
      ['6', '6'],
      ['9', '6'],
    ]);
  });
});

describe('<sse-feed> and 204 No Content', () => {
  it('fetch mode: 204 stops cleanly (closed, no error, no retry)', async () => {
    const { key, src } = scenario('status', 'status=204,200');
    const el = feed(src, { mode: 'fetch' });
    const errors = record(el, 'error');
    document.body.append(el);
    await waitUntil(async () => (await requestsFor(key)).length === 1);
    await waitUntil(() => el.state === 'closed' && el.readyState === 2);
    expect(errors).to.have.length(0);
    expect((el as unknown as { reconnector: { pending: boolean } }).reconnector.pending).to.equal(
      false,
    );
    expect(await requestsFor(key)).to.have.length(1);
  });

  it('native mode: EventSource cannot tell 204 from any failure: a network error, retried', async () => {
    const { key, src } = scenario('status', 'status=204,200');
    const el = feed(src, { mode: 'native' });
    const errors = record<RealtimeErrorEvent>(el, 'error');
    const messages = messagesOf(el);
    document.body.append(el);
    await waitUntil(() => messages.length === 1, 15_000);
    expect(errors.map((e) => e.code)).to.deep.equal(['network']);
    expect(messages[0].data).to.equal('hello after 2');
    expect(await requestsFor(key)).to.have.length(2);
  });

  it('control (WPT request-status-error): EventSource is CLOSED after 204', async () => {
    const { source } = control(scenario('status', 'status=204').src);
    const state = await new Promise<number>((resolve) => {
      source.onerror = () => resolve(source.readyState);
    });
    expect(state).to.equal(EventSource.CLOSED);
  });
});

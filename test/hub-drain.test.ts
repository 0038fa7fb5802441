// A hub process being drained (a rolling deploy) behind a load balancer (test/e2e/drain-plugin):
// <sse-feed> (fetch and native), <socket-relay> and <poll-feed> move to the other process with
// no error event and no lost or repeated event. And compressed hub streams (gzip SSE,
// permessage-deflate) reach the elements intact.
import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import '../src/socket-relay-define.js';
import '../src/poll-feed-define.js';

/** What the tests read of each element. */
type Feed = HTMLElement & { state: string; lastEventId: string };
type Data = Event & { data: unknown };
import { record, uniqueName, waitUntil } from './helpers.js';

type Stats = { sse: number; ws: number; poll: number }[];
const stats = () => executeServerCommand<Stats, unknown>('drain-stats');
const publish = (topic: string, from: number, count: number, pause = 0) =>
  executeServerCommand('drain-publish', { topic, from, count, pause });

async function elements(topic: string) {
  const box = await fixture<HTMLElement>(
    html`<div>
      <sse-feed
        src="/lb/sse?topic=${topic}"
        type="json"
        retry-min="200"
        retry-max="1000"
      ></sse-feed>
      <sse-feed mode="native" src="/lb/sse?topic=${topic}" type="json"></sse-feed>
      <socket-relay
        src="/lb/ws"
        topic=${topic}
        type="json"
        retry-min="200"
        retry-max="1000"
      ></socket-relay>
      <poll-feed long src="/lb/poll?topic=${topic}" type="json" retry-min="200"></poll-feed>
    </div>`,
  );
  const all = [...box.children] as Feed[];
  const seen = all.map((el) => ({
    el,
    data: [] as unknown[],
    errors: record(el, 'error'),
    closes: record(el, 'close'),
  }));
  for (const s of seen) s.el.addEventListener('message', (e) => s.data.push((e as Data).data));
  await waitUntil(() => all.every((el) => el.state === 'open'), 15_000, 'every element open');
  return seen;
}

describe('draining hub', () => {
  beforeEach(() => executeServerCommand('drain-reset'));

  it('moves <sse-feed>, <socket-relay> and <poll-feed> to the other process: no error, no loss', async () => {
    const topic = uniqueName('drain');
    const seen = await elements(topic);
    // The long-poll's cursor is taken on its first answer: wait for it to hold a poll.
    await waitUntil(async () => (await stats())[0].poll === 1, 15_000, 'a held poll');
    await publish(topic, 1, 5);
    await waitUntil(() => seen.every((s) => s.data.length === 5), 15_000, 'the first events');
    const running = publish(topic, 6, 40, 25);
    await executeServerCommand('drain-run', { within: 500 });
    await running;
    const expected = Array.from({ length: 45 }, (_, i) => i + 1);
    await waitUntil(() => seen.every((s) => s.data.length >= 45), 20_000, 'every event');
    for (const s of seen) {
      expect(s.data, s.el.localName).to.deep.equal(expected);
      expect(
        s.errors.map((e) => (e as Event & { code: string }).code),
        s.el.localName,
      ).to.deep.equal([]);
    }
    // The streams ended and came back: a close that reconnects, never an error.
    for (const s of seen.slice(0, 3)) {
      expect(s.closes.length, s.el.localName).to.be.greaterThan(0);
      expect((s.closes[0] as Event & { willReconnect: boolean }).willReconnect).to.equal(true);
    }
    const [first, second] = await stats();
    expect(first).to.deep.equal({ sse: 0, ws: 0, poll: 0 });
    await waitUntil(async () => (await stats())[1].sse === 2, 10_000, 'both feeds on the second');
    expect(second.ws).to.equal(1);
  });

  it('a feed that bounces off the draining process waits its Retry-After, with no error event', async () => {
    const topic = uniqueName('bounce');
    const box = await fixture<HTMLElement>(
      html`<div>
        <sse-feed
          src="/lb/sse?topic=${topic}"
          type="json"
          retry-min="100"
          retry-max="500"
        ></sse-feed>
        <poll-feed long src="/lb/poll?topic=${topic}" type="json" retry-min="100"></poll-feed>
      </div>`,
    );
    const all = [...box.children] as Feed[];
    const data = all.map(() => [] as unknown[]);
    const errors = all.map((el) => record(el, 'error'));
    all.forEach((el, i) => el.addEventListener('message', (e) => data[i]!.push((e as Data).data)));
    await waitUntil(() => all.every((el) => el.state === 'open'), 15_000, 'open');
    await waitUntil(async () => (await stats())[0].poll === 1, 15_000, 'a held poll');
    // The balancer keeps sending requests to the draining process for 1.5 s more.
    const drained = executeServerCommand('drain-run', { within: 0, lag: 1500 });
    await publish(topic, 1, 10, 100);
    await drained;
    await waitUntil(() => data.every((d) => d.length === 10), 20_000, 'every event');
    for (const d of data) expect(d).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(errors.flat().map((e) => (e as Event & { code: string }).code)).to.deep.equal([]);
  });
});

describe('compressed hub streams', () => {
  it('<sse-feed> (fetch and native) reads a gzip stream and <socket-relay> a permessage-deflate one', async () => {
    const topic = uniqueName('gz');
    const box = await fixture<HTMLElement>(
      html`<div>
        <sse-feed src="/gz/sse?topic=${topic}" type="json"></sse-feed>
        <sse-feed mode="native" src="/gz/sse?topic=${topic}" type="json"></sse-feed>
        <socket-relay src="/gz/ws" topic=${topic} type="json"></socket-relay>
      </div>`,
    );
    const all = [...box.children] as Feed[];
    const data = all.map(() => [] as unknown[]);
    all.forEach((el, i) => el.addEventListener('message', (e) => data[i]!.push((e as Data).data)));
    const errors = all.map((el) => record(el, 'error'));
    await waitUntil(() => all.every((el) => el.state === 'open'), 15_000, 'open');
    await waitUntil(() => all[2]!.lastEventId, 15_000, 'the relay subscribed');
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: i, name: `row ${i}` }));
    const sent = [{ rows }, 'small', { n: 1 }, { rows: rows.slice(0, 50) }, 'é ✓ 𝄞'];
    for (const value of sent) {
      await executeServerCommand('gz-publish', { topic, data: value });
      // Each event arrives on its own, not held back until later ones push it out.
      await waitUntil(
        () => data.every((d) => d.length === sent.indexOf(value) + 1),
        10_000,
        'the event',
      );
    }
    for (const d of data) expect(d).to.deep.equal(sent);
    expect(errors.flat()).to.deep.equal([]);
    const socket = (all[2] as unknown as { socket: WebSocket }).socket;
    expect(socket.extensions).to.match(/^permessage-deflate/);
    await executeServerCommand('gz-drain');
    // The ended fetch stream's resource timing shows the bytes it took on the wire.
    const entry = await waitUntil(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => e as PerformanceResourceTiming)
        .find((e) => e.name.includes(`/gz/sse?topic=${topic}`) && e.initiatorType === 'fetch'),
    );
    const timing = entry!;
    expect(timing.encodedBodySize).to.be.greaterThan(0);
    expect(timing.encodedBodySize).to.be.lessThan(timing.decodedBodySize / 3);
  });
});

import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/socket-relay-define.js';
import { SocketRelayElement } from '../src/socket-relay.js';
import {
  RealtimeCloseEvent,
  RealtimeErrorEvent,
  RealtimeMessageEvent,
  ResetEvent,
} from '../src/index.js';
import {
  Tab,
  closeAllTabs,
  hubStream,
  record,
  sleep,
  uniqueName,
  waitUntil,
  faultRun,
} from './helpers.js';

const wsTest = <T>(command: string, payload: object) =>
  executeServerCommand<T, unknown>(command, payload);
const publish = (topic: string, ...many: unknown[]) =>
  executeServerCommand<string[], unknown>('hub-publish', { topic, many });
const connections = async (key: string) =>
  (await executeServerCommand<{ count: number }, unknown>('ws-test-connections', { key })).count;
const dataOf = (events: Event[]) => events.map((event) => (event as RealtimeMessageEvent).data);

/** A relay with fast retries. */
function relay(attrs: Record<string, string>): SocketRelayElement {
  const el = document.createElement('socket-relay');
  el.setAttribute('retry-min', '10');
  el.setAttribute('retry-max', '50');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

const opened = async (el: SocketRelayElement) => {
  if (!el.isConnected) document.body.append(el);
  await waitUntil(() => el.state === 'open', 15_000, 'open');
  return el;
};

/**
 * Open and subscribed (the hub's 'subscribed' carries the starting cursor): a listener must be
 * subscribed before another socket publishes, as the hub orders nothing between two sockets.
 */
const subscribed = async (el: SocketRelayElement) => {
  await opened(el);
  await waitUntil(() => el.lastEventId !== '', 15_000, 'the starting cursor');
  return el;
};

describe('<socket-relay>', () => {
  afterEach(async () => {
    document.querySelectorAll('socket-relay').forEach((el) => el.remove());
    await closeAllTabs();
  });

  describe('hub mode', () => {
    it('creates from HTML, subscribes and delivers the exact message shape', async () => {
      const topic = uniqueName('shape');
      const el = await fixture<SocketRelayElement>(
        html`<socket-relay src="/realtime/ws" topic=${topic}></socket-relay>`,
      );
      expect(el).to.be.instanceOf(SocketRelayElement);
      await opened(el);
      expect([el.readyState, el.getAttribute('state')]).to.deep.equal([1, 'open']);
      await waitUntil(() => el.lastEventId !== '', 15_000, 'the starting cursor');
      const message = oneEvent(el, 'message') as Promise<RealtimeMessageEvent>;
      const [id] = await publish(topic, { price: 3 });
      const event = await message;
      expect(event).to.be.instanceOf(MessageEvent);
      expect(event.bubbles).to.equal(false);
      expect([
        event.data,
        (event as unknown as { topic: string }).topic,
        (event as unknown as { id: string }).id,
      ]).to.deep.equal([{ price: 3 }, topic, id]);
      expect(el.lastEventId).to.equal(id);
    });

    it('two tabs chat through the hub; a sender gets its own message only with echo', async () => {
      const topic = uniqueName('chat');
      const el = await opened(relay({ src: '/realtime/ws', topic }));
      const mine = record(el, 'message');
      const tab = await Tab.open();
      await tab.eval(`(async () => {
        const el = document.createElement('socket-relay');
        el.setAttribute('src', '/realtime/ws');
        el.setAttribute('topic', ${JSON.stringify(topic)});
        window.record(el, 'message');
        document.body.append(el);
        // Open is not subscribed: the hub's 'subscribed' (with the starting cursor) is.
        while (el.state !== 'open' || !el.lastEventId) await new Promise((r) => setTimeout(r, 10));
        window.relay = el;
        return true;
      })()`);
      // Two sockets: the hub orders nothing between one's subscribe and the other's publish.
      await waitUntil(() => el.lastEventId !== '', 15_000, 'the starting cursor');
      el.send({ text: 'hello other tab' });
      expect(await tab.waitFor('window.log.length && window.log[0].data')).to.deep.equal({
        text: 'hello other tab',
      });
      await tab.eval(`window.relay.send('hi back'), true`);
      await waitUntil(() => mine.length === 1);
      expect(dataOf(mine)).to.deep.equal(['hi back']);
      el.echo = true;
      el.send('to myself too');
      await waitUntil(() => mine.length === 2);
      await waitUntil(() => el.queued === 0, 15_000, 'acknowledged');
    });

    it('queues sends until open and flushes them in order; queue-full past queue-limit', async () => {
      const topic = uniqueName('queue');
      const listener = await subscribed(relay({ src: '/realtime/ws', topic }));
      const received = record(listener, 'message');
      const el = relay({ src: '/realtime/ws', topic, 'queue-limit': '3' });
      document.body.append(el);
      const errors = record<RealtimeErrorEvent>(el, 'error');
      expect([el.send(1), el.send(2), el.send(3)]).to.deep.equal([true, true, true]);
      expect(el.send(4)).to.equal(false);
      expect(errors.map((e) => e.code)).to.deep.equal(['queue-full']);
      expect(el.queued).to.equal(3);
      await waitUntil(() => received.length === 3);
      expect(dataOf(received)).to.deep.equal([1, 2, 3]);
    });

    it(
      faultRun('10,000 messages with the hub cutting the socket 100 times arrive once, in order'),
      async function () {
        this.timeout(60_000);
        const topic = uniqueName('acceptance');
        const el = await opened(
          relay({ src: '/realtime/ws', topic, 'retry-min': '5', 'retry-max': '30' }),
        );
        await waitUntil(() => el.lastEventId !== '', 15_000, 'the starting cursor');
        const received: number[] = [];
        el.addEventListener('message', (event) => received.push(event.data as number));
        await hubStream(topic, 10_000, 100);
        await waitUntil(() => received.length >= 10_000, 30_000, '10,000 messages');
        await sleep(100);
        expect(received.length).to.equal(10_000);
        expect(received.every((value, index) => value === index + 1)).to.equal(true);
      },
    );

    it('sends made during an outage arrive after the reconnect, in order', async () => {
      const topic = uniqueName('outage');
      const listener = await subscribed(relay({ src: '/realtime/ws', topic }));
      const received = record(listener, 'message');
      const el = await opened(
        relay({ src: '/realtime/ws', topic, 'retry-min': '200', 'retry-max': '200' }),
      );
      const closes = record<RealtimeCloseEvent>(el, 'close');
      await executeServerCommand('hub-cut');
      await waitUntil(() => closes.length >= 1);
      expect(closes[0].willReconnect).to.equal(true);
      expect(el.state).to.not.equal('open');
      for (let i = 0; i < 50; i++) el.send(i);
      expect(el.queued).to.equal(50);
      await waitUntil(() => received.length === 50, 30_000);
      expect(dataOf(received)).to.deep.equal([...Array(50).keys()]);
    });

    it('a cursor the hub cannot resume gives a reset event', async () => {
      const topic = uniqueName('reset');
      const el = relay({ src: '/realtime/ws', topic });
      // A cursor from another hub epoch, as after a hub restart.
      (el as unknown as { cursor: string }).cursor = 'zzzz-5';
      const reset = oneEvent(el, 'reset') as Promise<ResetEvent>;
      document.body.append(el);
      const event = await reset;
      expect(event.reason).to.equal('epoch');
      expect(el.lastEventId).to.equal(event.lastEventId);
    });
  });

  describe('exactly once, in order (issue #17 inputs)', () => {
    /** Tab B: a relay on `topic` that logs what it receives. */
    async function tabB(topic: string, src = '/realtime/ws'): Promise<Tab> {
      const tab = await Tab.open();
      await tab.eval(`(async () => {
        const el = document.createElement('socket-relay');
        el.setAttribute('src', ${JSON.stringify(src)});
        el.setAttribute('topic', ${JSON.stringify(topic)});
        el.setAttribute('retry-min', '10');
        el.setAttribute('retry-max', '50');
        window.record(el, 'message', 'error');
        window.closes = 0;
        el.addEventListener('close', () => window.closes++);
        document.body.append(el);
        while (el.state !== 'open' || !el.lastEventId) await new Promise((r) => setTimeout(r, 10));
        window.relay = el;
        return true;
      })()`);
      return tab;
    }
    const received = (tab: Tab) =>
      tab.eval<unknown[]>(`window.log.filter((e) => e.type === 'message').map((e) => e.data)`);

    it(
      faultRun(
        '1. a burst of 500 in one task meets the hub rate limit: 500 once each, in order, no close',
      ),
      async function () {
        this.timeout(60_000);
        const topic = uniqueName('burst');
        const b = await tabB(topic);
        const a = await opened(relay({ src: '/realtime/ws', topic }));
        const closes = record<RealtimeCloseEvent>(a, 'close');
        const errors = record<RealtimeErrorEvent>(a, 'error');
        for (let i = 0; i < 500; i++) a.send({ i });
        await waitUntil(() => a.queued === 0, 30_000, 'queued to drain');
        await publish(topic, 'sentinel');
        await b.waitFor(`window.log.some((e) => e.data === 'sentinel')`, 30_000);
        const got = await received(b);
        expect(got).to.deep.equal([...Array.from({ length: 500 }, (_, i) => ({ i })), 'sentinel']);
        expect(closes).to.have.length(0);
        expect(errors).to.have.length(0);
      },
    );

    it('2. own sends never come back after a reconnect (replay skips them), unless echo', async () => {
      const topic = uniqueName('own');
      const b = await tabB(topic);
      const a = await opened(relay({ src: '/realtime/ws', topic }));
      await waitUntil(() => a.lastEventId !== '', 15_000, 'the starting cursor');
      const mine = record(a, 'message');
      for (let i = 0; i < 3; i++) a.send({ mine: i });
      await waitUntil(() => a.queued === 0, 15_000, 'acknowledged');
      const closes = record(a, 'close');
      await executeServerCommand('hub-cut');
      await waitUntil(() => closes.length === 1);
      await opened(a);
      await b.waitFor(`window.relay.state === 'open'`);
      await b.eval(`window.relay.send('from b'), true`);
      await publish(topic, 'sentinel');
      await waitUntil(() => dataOf(mine).includes('sentinel'), 15_000, 'sentinel');
      expect(dataOf(mine)).to.deep.equal(['from b', 'sentinel']);
      expect(
        (await received(b)).filter((d) => (d as { mine?: number }).mine !== undefined),
      ).to.deep.equal([{ mine: 0 }, { mine: 1 }, { mine: 2 }]);
      // With echo, an own send does come back.
      a.echo = true;
      a.send('echoed');
      await waitUntil(() => dataOf(mine).includes('echoed'), 15_000);
    });

    it('3. an oversize send among small ones: RangeError at once, the small ones arrive, no reconnect', async () => {
      const topic = uniqueName('oversize');
      const b = await tabB(topic);
      const a = await opened(relay({ src: '/realtime/ws', topic }));
      const closes = record(a, 'close');
      const errors = record<RealtimeErrorEvent>(a, 'error');
      const thrown: unknown[] = [];
      for (const data of ['x'.repeat(100_000), { n: 1 }, { n: 2 }]) {
        try {
          a.send(data);
        } catch (error) {
          thrown.push(error);
        }
      }
      expect(thrown).to.have.length(1);
      expect(thrown[0]).to.be.instanceOf(RangeError);
      await b.waitFor(`window.log.filter((e) => e.type === 'message').length === 2`);
      await waitUntil(() => a.queued === 0);
      await publish(topic, 'sentinel');
      await b.waitFor(`window.log.some((e) => e.data === 'sentinel')`);
      expect(await received(b)).to.deep.equal([{ n: 1 }, { n: 2 }, 'sentinel']);
      expect([closes.length, errors.length]).to.deep.equal([0, 0]);
    });

    it('3b. an oversize send queued before the limit was known: one too-large event with raw, never sent', async () => {
      const topic = uniqueName('oversize-queued');
      const b = await tabB(topic);
      const a = relay({ src: '/realtime/ws', topic });
      const errors = record<RealtimeErrorEvent>(a, 'error');
      const closes = record(a, 'close');
      document.body.append(a);
      const big = 'y'.repeat(70_000);
      a.send({ n: 1 });
      a.send(big);
      a.send({ n: 2 });
      await opened(a);
      await waitUntil(() => a.queued === 0);
      await publish(topic, 'sentinel');
      await b.waitFor(`window.log.some((e) => e.data === 'sentinel')`);
      expect(await received(b)).to.deep.equal([{ n: 1 }, { n: 2 }, 'sentinel']);
      expect(errors.map((e) => [e.code, e.raw])).to.deep.equal([
        ['too-large', JSON.stringify(big)],
      ]);
      expect(closes).to.have.length(0);
      expect(() => a.send(big)).to.throw(RangeError);
    });

    it(
      faultRun(
        '3c. an older hub (no hello): on 1009 the largest unacknowledged send is dropped, the rest re-sent',
      ),
      async () => {
        const key = uniqueName('old-hub');
        const el = relay({ src: `/ws-test/old-hub?key=${key}&max=2000`, topic: 't' });
        const errors = record<RealtimeErrorEvent>(el, 'error');
        document.body.append(el);
        el.send({ n: 1 });
        el.send('z'.repeat(5000));
        el.send({ n: 2 });
        await waitUntil(() => el.state === 'open', 30_000);
        await waitUntil(() => el.queued === 0, 30_000, 'all acknowledged or dropped');
        expect(errors.map((e) => [e.code, e.raw])).to.deep.equal([
          ['too-large', JSON.stringify('z'.repeat(5000))],
        ]);
        const { frames } = await wsTest<{ frames: { data: unknown }[] }>('ws-test-frames', { key });
        const data = frames.map((f) => f.data);
        expect(data.filter((d) => typeof d === 'string')).to.have.length(0);
        expect(data.filter((d) => (d as { n: number }).n === 2).length).to.be.at.least(1);
      },
    );

    it(
      faultRun(
        'shared mode: a leader that crashes mid-burst — the next leader re-sends, the hub drops repeats',
      ),
      async function () {
        this.timeout(60_000);
        const topic = uniqueName('shared-once');
        const html = `<socket-relay shared src="/realtime/ws" topic="${topic}" retry-min="20" retry-max="100"></socket-relay>`;
        const open = async () => {
          const tab = await Tab.open();
          await tab.eval(`(async () => {
          const holder = document.createElement('div');
          holder.innerHTML = ${JSON.stringify(html)};
          window.el = window.record(holder.firstElementChild, 'message', 'error');
          document.body.append(window.el);
          while (window.el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
          return true;
        })()`);
          return tab;
        };
        const leader = await open();
        const follower = await open();
        expect(await leader.eval('window.el.leader')).to.equal(true);
        // The follower learns the group's publisher id from the leader's heartbeats.
        await follower.waitFor(`window.el.publisher !== ''`, 15_000);
        const observer = await subscribed(relay({ src: '/realtime/ws', topic }));
        const seen = record(observer, 'message');
        await follower.eval(
          `(() => { for (let n = 0; n < 100; n++) window.el.send({ n }); return true; })()`,
        );
        await waitUntil(() => seen.length >= 10, 30_000, 'the first sends');
        await leader.crash();
        await follower.waitFor(`window.el.leader && window.el.state === 'open'`, 30_000);
        await follower.waitFor(`window.el.queued === 0`, 20_000);
        await publish(topic, 'sentinel');
        await waitUntil(() => dataOf(seen).includes('sentinel'), 30_000, 'sentinel');
        expect(dataOf(seen)).to.deep.equal([
          ...Array.from({ length: 100 }, (_, n) => ({ n })),
          'sentinel',
        ]);
      },
    );

    it('sends queued while connecting survive a re-open by an attribute change and a remove/re-insert (partysocket#403)', async () => {
      const topic = uniqueName('reopen');
      const listener = await subscribed(relay({ src: '/realtime/ws', topic }));
      const received = record(listener, 'message');
      const el = relay({ src: '/realtime/ws', topic });
      document.body.append(el);
      el.send(1);
      el.send(2);
      el.protocols = 'chat'; // re-opens before the first socket is open
      await el.updateComplete;
      el.send(3);
      el.remove();
      document.body.append(el);
      el.send(4);
      await opened(el);
      await waitUntil(() => el.queued === 0, 15_000);
      await publish(topic, 'sentinel');
      await waitUntil(() => dataOf(received).includes('sentinel'), 15_000);
      expect(dataOf(received)).to.deep.equal([1, 2, 3, 4, 'sentinel']);
    });

    it(
      faultRun(
        '4. the herd: 30 elements dropped together spread their first retry over [retry-min, 2 × retry-min]',
      ),
      async () => {
        const key = uniqueName('herd');
        const els = Array.from({ length: 30 }, () => {
          const el = document.createElement('socket-relay');
          el.setAttribute('src', `/ws-test/echo?key=${key}`);
          el.setAttribute('raw', '');
          return el;
        });
        document.body.append(...els);
        await waitUntil(() => els.every((el) => el.state === 'open'), 15_000);
        // The spread is read where each retry is scheduled: arrival times alone bunch up behind a
        // page that stalled (its timers then fire together), which says nothing of the jitter.
        const scheduled: number[] = [];
        const realSetTimeout = window.setTimeout;
        window.setTimeout = ((handler: TimerHandler, ms?: number, ...rest: unknown[]) => {
          const stack = new Error().stack ?? '';
          // V8 writes a frame `at ReconnectController.failed (url)`, Firefox and WebKit `failed@url`.
          if (/\bfailed(?: \(|@)[^\n]*reconnect-controller/.test(stack)) scheduled.push(ms ?? 0);
          return realSetTimeout(handler, ms, ...rest);
        }) as typeof window.setTimeout;
        let at: number;
        try {
          ({ at } = await wsTest<{ at: number }>('ws-test-close', { key, code: 1001 }));
          await waitUntil(
            async () =>
              (await wsTest<{ count: number }>('ws-test-connections', { key })).count === 60,
            15_000,
            '30 reconnects',
          );
        } finally {
          window.setTimeout = realSetTimeout;
        }
        expect(scheduled, 'one first retry each').to.have.length(30);
        for (const delay of scheduled) expect(delay).to.be.within(1000, 2000);
        expect(Math.max(...scheduled) - Math.min(...scheduled), `${scheduled}`).to.be.greaterThan(
          250,
        );
        // And none came back sooner than retry-min (a loaded machine only makes them later).
        const { times } = await wsTest<{ times: number[] }>('ws-test-connections', { key });
        for (const arrived of times.slice(30)) expect(arrived - at).to.be.at.least(900);
      },
    );

    it('5. a raw client frame named like an inherited property is a bad-frame error, not ignored', async () => {
      const el = await opened(relay({ src: '/realtime/ws', topic: uniqueName() }));
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const socket = (el as unknown as { socket: WebSocket }).socket;
      socket.send('{"type":"constructor"}');
      socket.send('{"type":"__proto__"}');
      await waitUntil(() => errors.length === 2);
      expect(errors.map((e) => e.code)).to.deep.equal(['bad-frame', 'bad-frame']);
    });

    it('a frame from the hub named like an inherited property is ignored, never a crash', async () => {
      const el = await opened(relay({ src: '/realtime/ws', topic: uniqueName() }));
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const socket = (el as unknown as { socket: WebSocket }).socket;
      for (const type of ['constructor', '__proto__', 'toString'])
        socket.onmessage!(new MessageEvent('message', { data: JSON.stringify({ type }) }));
      socket.onmessage!(new MessageEvent('message', { data: JSON.stringify({ type: 'pong' }) }));
      expect(errors).to.have.length(0);
      expect(el.state).to.equal('open');
    });
  });

  describe('authentication and refusals', () => {
    it('sends the auth property in an auth frame before every connect, never in the URL', async () => {
      const topic = uniqueName('secret');
      let calls = 0;
      const el = relay({ src: '/secure/ws', topic });
      el.auth = async () => {
        calls++;
        return 'good';
      };
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const received = record(el, 'message');
      await opened(el);
      await executeServerCommand('hub-cut');
      await waitUntil(() => calls === 2 && el.state === 'open', 15_000, 'second connect');
      expect(errors).to.have.length(0);
      el.echo = true;
      el.send('secret stuff');
      await waitUntil(() => received.length === 1);
    });

    it('a refused token closes with 4401: unauthorized, and no retry', async () => {
      const el = relay({ src: '/secure/ws', topic: 'anything' });
      el.auth = 'bad';
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const closes = record<RealtimeCloseEvent>(el, 'close');
      document.body.append(el);
      await waitUntil(() => el.state === 'error', 15_000);
      expect(errors.map((e) => e.code)).to.deep.equal(['unauthorized']);
      expect(closes.map((e) => [e.code, e.willReconnect])).to.deep.equal([[4401, false]]);
      el.auth = 'good';
      el.reconnect();
      await opened(el);
    });

    it('an auth function that throws is auth-failed, and is retried', async () => {
      const el = relay({ src: '/secure/ws', topic: 'anything' });
      let calls = 0;
      el.auth = () => {
        if (++calls === 1) throw new Error('token service down');
        return 'good';
      };
      const errors = record<RealtimeErrorEvent>(el, 'error');
      await opened(el);
      expect(errors.map((e) => [e.code, e.message.includes('token service down')])).to.deep.equal([
        ['auth-failed', true],
      ]);
      expect(calls).to.equal(2);
    });

    it('a hub error frame (forbidden subscribe) is an error event', async () => {
      const el = relay({ src: '/secure/ws', topic: 'secret-room' });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      await opened(el);
      await waitUntil(() => errors.length === 1);
      expect(errors[0].code).to.equal('forbidden');
    });

    it('a forbidden origin (4403) stops; rate-limited (4429) is retried', async () => {
      const strict = relay({ src: '/strict/ws', topic: 't' });
      const strictErrors = record<RealtimeErrorEvent>(strict, 'error');
      document.body.append(strict);
      await waitUntil(() => strict.state === 'error');
      expect(strictErrors.map((e) => e.code)).to.include('forbidden-origin');

      // The element paces itself under the announced rate; a flood written past it is refused.
      const limited = await opened(relay({ src: '/limited/ws', topic: 'flood' }));
      const limitedErrors = record<RealtimeErrorEvent>(limited, 'error');
      const socket = (limited as unknown as { socket: WebSocket }).socket;
      for (let i = 0; i < 30; i++) socket.send('{"type":"ping"}');
      await waitUntil(() => limitedErrors.some((e) => e.code === 'rate-limited'));
      await opened(limited);
    });
  });

  describe('raw mode', () => {
    it('talks to a plain WebSocket server in text, json and binary', async () => {
      const text = await opened(relay({ src: '/ws-test/echo', raw: '' }));
      const json = await opened(relay({ src: '/ws-test/echo', raw: '', type: 'json' }));
      const binary = await opened(relay({ src: '/ws-test/echo', raw: '', type: 'binary' }));
      const got = [record(text, 'message'), record(json, 'message'), record(binary, 'message')];
      text.send('plain');
      json.send({ a: [1] });
      binary.send(new Uint8Array([1, 2, 3]));
      await waitUntil(() => got.every((events) => events.length === 1));
      expect(dataOf(got[0])).to.deep.equal(['plain']);
      expect(dataOf(got[1])).to.deep.equal([{ a: [1] }]);
      expect([...new Uint8Array(dataOf(got[2])[0] as ArrayBuffer)]).to.deep.equal([1, 2, 3]);
      expect(() => text.send({ not: 'text' })).to.throw(TypeError);
    });

    // Red team #25: a queued binary send kept the caller's buffer, so a change made before the
    // socket opened changed the bytes sent. Every send takes its data as it is at the call.
    it('a binary send queued before open sends the bytes as they were at the call', async () => {
      const el = relay({ src: '/ws-test/echo', raw: '', type: 'binary' });
      document.body.append(el);
      expect(el.state).to.not.equal('open');
      const got = record(el, 'message');
      const view = new Uint8Array([1, 2, 3, 4, 5, 6]);
      const buffer = new Uint8Array([7, 8]).buffer;
      el.send(view.subarray(1, 4));
      el.send(buffer);
      view.fill(0);
      new Uint8Array(buffer).fill(0);
      await opened(el);
      await waitUntil(() => got.length === 2);
      expect(dataOf(got).map((data) => [...new Uint8Array(data as ArrayBuffer)])).to.deep.equal([
        [2, 3, 4],
        [7, 8],
      ]);
    });

    it('type="json": a message that is not JSON is a parse-error', async () => {
      const json = await opened(relay({ src: '/ws-test/echo', raw: '' }));
      const parsing = await opened(relay({ src: '/ws-test/echo', raw: '', type: 'json' }));
      const errors = record<RealtimeErrorEvent>(parsing, 'error');
      // The echo server answers each socket alone: the parsing relay sends the raw text itself.
      (parsing as unknown as { socket: WebSocket }).socket.send('{broken');
      await waitUntil(() => errors.length === 1);
      expect([errors[0].code, errors[0].raw]).to.deep.equal(['parse-error', '{broken']);
      json.remove();
    });

    it('a silent server trips the heartbeat (ping-message) and the socket is replaced', async () => {
      const key = uniqueName('silent');
      const el = relay({
        src: `/ws-test/silent?key=${key}`,
        raw: '',
        'ping-message': 'ping',
        'heartbeat-interval': '100',
        'heartbeat-timeout': '100',
      });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => errors.some((e) => e.code === 'heartbeat-timeout'), 15_000);
      await waitUntil(async () => (await connections(key)) >= 2, 15_000, 'a new socket');
    });

    it('a server that never answers the upgrade trips connect-timeout and is retried', async () => {
      const key = uniqueName('hang');
      const el = relay({ src: `/ws-test/hang?key=${key}`, raw: '', 'connect-timeout': '150' });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => errors.length >= 1, 15_000);
      expect(errors[0].code).to.equal('timeout');
      await waitUntil(async () => (await connections(key)) >= 2, 15_000, 'a retry');
    });

    it('stop-codes are configurable: 1008 stops by default, a custom code too', async () => {
      const policy = relay({ src: '/ws-test/close?code=1008', raw: '' });
      const custom = relay({ src: '/ws-test/close?code=4999', raw: '', 'stop-codes': '4999' });
      const errors = record<RealtimeErrorEvent>(policy, 'error');
      document.body.append(policy, custom);
      await waitUntil(() => policy.state === 'error' && custom.state === 'error', 15_000);
      expect(errors.map((e) => e.code)).to.deep.equal(['policy']);
    });
  });

  describe('bad input and lifecycle', () => {
    it('missing-src, invalid-url and invalid-attribute are error events', async () => {
      const cases: [Record<string, string>, string][] = [
        [{}, 'missing-src'],
        [{ src: 'ftp://example.test/x' }, 'invalid-url'],
        [{ src: 'http://[bad' }, 'invalid-url'],
        [{ src: '/realtime/ws', raw: '', type: 'xml' }, 'invalid-attribute'],
        [{ src: '/ws-test/echo', raw: '', protocols: 'chat chat' }, 'invalid-attribute'],
      ];
      for (const [attrs, code] of cases) {
        const el = relay(attrs);
        const errors = record<RealtimeErrorEvent>(el, 'error');
        document.body.append(el);
        // The subprotocol check happens in connect(), after the auth step's microtask.
        await waitUntil(() => errors.length > 0, 15_000, code);
        expect(
          errors.map((e) => e.code),
          JSON.stringify(attrs),
        ).to.deep.equal([code]);
        el.remove();
      }
    });

    it('an unreachable server is a network error, retried with backoff', async () => {
      const el = relay({ src: 'ws://127.0.0.1:9/nothing', raw: '' });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => errors.length >= 2, 15_000);
      expect(errors[0].code).to.equal('network');
      expect(el.state).to.not.equal('open');
      expect(el.retryCount).to.be.at.least(1);
    });

    it('send() throws on a removed element and on data JSON cannot carry', async () => {
      const el = await opened(relay({ src: '/realtime/ws', topic: uniqueName() }));
      expect(() => el.send(10n)).to.throw(TypeError);
      const publishOnly = await opened(relay({ src: '/realtime/ws' }));
      expect(() => publishOnly.send('x')).to.throw(TypeError, /topic/);
      el.remove();
      expect(() => el.send('x'))
        .to.throw(DOMException)
        .with.property('name', 'InvalidStateError');
    });

    it('close(code, reason) validates the code, stops reconnecting; reconnect() resumes', async () => {
      const key = uniqueName('close');
      const el = await opened(relay({ src: `/ws-test/echo?key=${key}`, raw: '' }));
      const closes = record<RealtimeCloseEvent>(el, 'close');
      expect(() => el.close(1006))
        .to.throw(DOMException)
        .with.property('name', 'InvalidAccessError');
      el.close(4000, 'done');
      expect(el.state).to.equal('closed');
      expect(closes.map((e) => [e.code, e.reason, e.willReconnect])).to.deep.equal([
        [4000, 'done', false],
      ]);
      expect(() => el.send('x')).to.throw(DOMException, /closed/);
      await sleep(100);
      expect(await connections(key)).to.equal(1);
      el.reconnect();
      await opened(el);
      expect(await connections(key)).to.equal(2);
    });

    it('removal closes the socket and stops retries; re-inserting connects again', async () => {
      const key = uniqueName('remove');
      const el = await opened(relay({ src: `/ws-test/echo?key=${key}`, raw: '' }));
      el.remove();
      expect(el.state).to.equal('closed');
      await sleep(150);
      expect(await connections(key)).to.equal(1);
      document.body.append(el);
      await opened(el);
      expect(await connections(key)).to.equal(2);
    });

    it('changing topic re-subscribes', async () => {
      const [first, second] = [uniqueName(), uniqueName()];
      const el = await opened(relay({ src: '/realtime/ws', topic: first }));
      const received = record(el, 'message');
      el.topic = second;
      await el.updateComplete;
      await opened(el);
      await waitUntil(() => el.lastEventId !== '', 15_000);
      await publish(first, 'old');
      await publish(second, 'new');
      await waitUntil(() => received.length === 1);
      await sleep(100);
      expect(dataOf(received)).to.deep.equal(['new']);
    });
  });
});

describe('<socket-relay>: a call from inside a listener wins over what the element does next', () => {
  afterEach(() => document.querySelectorAll('socket-relay').forEach((el) => el.remove()));
  const idle = (el: SocketRelayElement) =>
    !(el as unknown as { reconnector: { pending: boolean } }).reconnector.pending;

  it('close() in a close listener of a drop (willReconnect) leaves it closed', async () => {
    const key = uniqueName('drop');
    const el = relay({ src: `/ws-test/close?code=1011&key=${key}`, raw: '' });
    el.addEventListener('close', () => el.close(), { once: true });
    const closes = record(el, 'close');
    document.body.append(el);
    await waitUntil(() => closes.length > 0 && el.state === 'closed' && idle(el), 15_000, 'closed');
    expect(el.readyState).to.equal(3);
    expect(await connections(key)).to.equal(1);
  });

  it('close() in an error listener of a failing connection stops it', async () => {
    const el = relay({ src: 'ws://127.0.0.1:9/nothing-listens-here', raw: '' });
    const errors = record(el, 'error');
    el.addEventListener('error', () => el.close(), { once: true });
    document.body.append(el);
    await waitUntil(() => errors.length === 1, 15_000);
    expect([el.state, idle(el)]).to.deep.equal(['closed', true]);
  });

  it('close() in an open listener: no heartbeat, no flush, stays closed', async () => {
    const key = uniqueName('open');
    const el = relay({ src: `/ws-test/echo?key=${key}`, raw: '', 'heartbeat-interval': '20' });
    el.addEventListener('open', () => el.close(), { once: true });
    const messages = record(el, 'message');
    const opens = record(el, 'open');
    document.body.append(el);
    expect(el.send('queued before open')).to.equal(true);
    await waitUntil(() => opens.length === 1 && el.state === 'closed' && idle(el), 15_000);
    expect(el.queued).to.equal(1);
    expect(messages).to.have.length(0);
    expect(await connections(key)).to.equal(1);
  });
});

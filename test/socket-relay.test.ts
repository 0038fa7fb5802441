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
import { Tab, closeAllTabs, record, sleep, uniqueName, waitUntil } from './helpers.js';

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
  await waitUntil(() => el.state === 'open', 5000, 'open');
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
      await waitUntil(() => el.lastEventId !== '', 2000, 'the starting cursor');
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
        while (el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
        window.relay = el;
        return true;
      })()`);
      await sleep(50);
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
      await waitUntil(() => el.queued === 0, 2000, 'acknowledged');
    });

    it('queues sends until open and flushes them in order; queue-full past queue-limit', async () => {
      const topic = uniqueName('queue');
      const listener = await opened(relay({ src: '/realtime/ws', topic }));
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

    it('10,000 messages with the hub cutting the socket 100 times arrive once, in order', async function () {
      this.timeout(60_000);
      const topic = uniqueName('acceptance');
      const el = await opened(
        relay({ src: '/realtime/ws', topic, 'retry-min': '5', 'retry-max': '30' }),
      );
      await waitUntil(() => el.lastEventId !== '', 2000, 'the starting cursor');
      const received: number[] = [];
      el.addEventListener('message', (event) => received.push(event.data as number));
      await executeServerCommand('hub-stream', { topic, count: 10_000, cuts: 100 });
      await waitUntil(() => received.length >= 10_000, 30_000, '10,000 messages');
      await sleep(100);
      expect(received.length).to.equal(10_000);
      expect(received.every((value, index) => value === index + 1)).to.equal(true);
    });

    it('sends made during an outage arrive after the reconnect, in order', async () => {
      const topic = uniqueName('outage');
      const listener = await opened(relay({ src: '/realtime/ws', topic }));
      const received = record(listener, 'message');
      const el = await opened(
        relay({ src: '/realtime/ws', topic, 'retry-min': '200', 'retry-max': '200' }),
      );
      const closes = record<RealtimeCloseEvent>(el, 'close');
      await executeServerCommand('hub-cut');
      await waitUntil(() => closes.length >= 1);
      expect(closes[0].willReconnect).to.equal(true);
      expect(el.state).to.equal('connecting');
      for (let i = 0; i < 50; i++) el.send(i);
      expect(el.queued).to.equal(50);
      await waitUntil(() => received.length === 50, 10_000);
      expect(dataOf(received)).to.deep.equal([...Array(50).keys()]);
    });

    it('an oversize message: the hub closes with 1009, too-large, and it is not re-sent', async () => {
      const topic = uniqueName('big');
      const listener = await opened(relay({ src: '/realtime/ws', topic }));
      const received = record(listener, 'message');
      const el = await opened(relay({ src: '/realtime/ws', topic }));
      const errors = record<RealtimeErrorEvent>(el, 'error');
      el.send('x'.repeat(200_000));
      await waitUntil(() => errors.length === 1);
      expect(errors[0].code).to.equal('too-large');
      await opened(el);
      el.send('small');
      await waitUntil(() => received.length === 1);
      await sleep(200);
      expect(dataOf(received)).to.deep.equal(['small']);
      expect(errors).to.have.length(1);
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
      await waitUntil(() => calls === 2 && el.state === 'open', 5000, 'second connect');
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
      await waitUntil(() => el.state === 'error', 5000);
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

      const limited = await opened(relay({ src: '/limited/ws', topic: 'flood' }));
      const limitedErrors = record<RealtimeErrorEvent>(limited, 'error');
      for (let i = 0; i < 30; i++) limited.send(i);
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
      await waitUntil(() => errors.some((e) => e.code === 'heartbeat-timeout'), 5000);
      await waitUntil(async () => (await connections(key)) >= 2, 5000, 'a new socket');
    });

    it('a server that never answers the upgrade trips connect-timeout and is retried', async () => {
      const key = uniqueName('hang');
      const el = relay({ src: `/ws-test/hang?key=${key}`, raw: '', 'connect-timeout': '150' });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => errors.length >= 1, 5000);
      expect(errors[0].code).to.equal('timeout');
      await waitUntil(async () => (await connections(key)) >= 2, 5000, 'a retry');
    });

    it('stop-codes are configurable: 1008 stops by default, a custom code too', async () => {
      const policy = relay({ src: '/ws-test/close?code=1008', raw: '' });
      const custom = relay({ src: '/ws-test/close?code=4999', raw: '', 'stop-codes': '4999' });
      const errors = record<RealtimeErrorEvent>(policy, 'error');
      document.body.append(policy, custom);
      await waitUntil(() => policy.state === 'error' && custom.state === 'error', 5000);
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
        await waitUntil(() => errors.length > 0, 2000, code);
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
      await waitUntil(() => errors.length >= 2, 5000);
      expect(errors[0].code).to.equal('network');
      expect(el.state).to.equal('connecting');
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
      await waitUntil(() => el.lastEventId !== '', 2000);
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
    await waitUntil(() => closes.length > 0 && el.state === 'closed' && idle(el), 5000, 'closed');
    expect(el.readyState).to.equal(3);
    expect(await connections(key)).to.equal(1);
  });

  it('close() in an error listener of a failing connection stops it', async () => {
    const el = relay({ src: 'ws://127.0.0.1:9/nothing-listens-here', raw: '' });
    const errors = record(el, 'error');
    el.addEventListener('error', () => el.close(), { once: true });
    document.body.append(el);
    await waitUntil(() => errors.length === 1, 5000);
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
    await waitUntil(() => opens.length === 1 && el.state === 'closed' && idle(el), 5000);
    expect(el.queued).to.equal(1);
    expect(messages).to.have.length(0);
    expect(await connections(key)).to.equal(1);
  });
});

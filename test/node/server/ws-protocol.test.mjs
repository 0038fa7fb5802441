// The hub's WebSocket protocol (issue #17): hello, publisher ids, idempotent publish, own sends
// skipped live and in replay, inherited names, re-auth, one close code for oversize frames,
// no ghost subscriptions, store outages.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../../dist/server/index.js';
import { httpJson, openWs, startHub, until } from './hub-helpers.mjs';

const wsUrl = (h) => h.url('/ws').replace('http', 'ws');
/** A client that has its hello. */
const client = async (h, options) => {
  const c = await openWs(wsUrl(h), options);
  await until(() => c.of('hello').length === 1, 15_000, 'hello');
  c.hello = c.of('hello')[0];
  return c;
};
/** Waits until `c` answered a ping sent now: every frame sent before it was handled. */
const settled = async (c) => {
  const pongs = c.of('pong').length;
  c.send({ type: 'ping' });
  await until(() => c.of('pong').length > pongs, 15_000, 'pong');
};

describe('hub WebSocket protocol', () => {
  let h;
  before(
    async () =>
      (h = await startHub({
        maxPayload: 4096,
        rateLimit: 500,
        dedupWindow: 50,
        dedupAge: 60_000,
        authorize: ({ action, topic, token }) =>
          action !== 'subscribe' || !topic.startsWith('secret') || token === 'all',
      })),
  );
  after(() => h.close());

  test('the first frame is the hello: version, limits and a publisher id of its own', async () => {
    const a = await client(h);
    const b = await client(h);
    assert.equal(a.frames[0].type, 'hello');
    assert.deepEqual(a.hello.limits, {
      maxPayload: 4096,
      rate: 500,
      burst: 1000,
      heartbeat: 30_000,
      dedupWindow: 50,
      dedupAge: 60_000,
    });
    assert.equal(a.hello.version, 1);
    assert.match(a.hello.publisher, /^[\w-]{24}$/);
    assert.notEqual(a.hello.publisher, b.hello.publisher);
    // Never sent to anyone else: b sees a's message, not a's id.
    b.send({ type: 'subscribe', topics: ['hello-room'] });
    await until(() => b.of('subscribed').length === 1);
    a.send({ type: 'publish', topic: 'hello-room', data: 1, ref: 1, msg: '1' });
    await until(() => b.of('message').length === 1);
    assert.ok(!JSON.stringify(b.frames.slice(1)).includes(a.hello.publisher));
    a.socket.close();
    b.socket.close();
  });

  test('frame types that are inherited names are bad frames, as are non-objects', async () => {
    const c = await client(h);
    const frames = [
      '{"type":"constructor"}',
      '{"type":"__proto__"}',
      '{"type":"toString"}',
      '{"type":"hasOwnProperty"}',
      '{"type":"valueOf"}',
      '["publish"]',
      'null',
      '{"type":"hello"}',
      '{"type":"hello","publisher":"short"}',
      '{"type":"publish","topic":"t","data":1,"msg":""}',
      '{"type":"publish","topic":"t","data":1,"msg":{"x":1}}',
      // The scope of anonymous HTTP Idempotency-Key callers: never a WebSocket publisher.
      `{"type":"hello","publisher":"http-${'a'.repeat(43)}"}`,
    ];
    for (const frame of frames) c.send(frame);
    await until(() => c.of('error').length === frames.length, 15_000, 'one answer each');
    assert.deepEqual(
      c.of('error').map((f) => f.code),
      frames.map(() => 'bad-frame'),
    );
    await settled(c);
    c.socket.close();
  });

  test('a repeated message id is acknowledged with the original id and not fanned out again', async () => {
    const listener = await client(h);
    listener.send({ type: 'subscribe', topics: ['dedup'] });
    await until(() => listener.of('subscribed').length === 1);
    const a = await client(h);
    for (let i = 0; i < 3; i++)
      a.send({ type: 'publish', topic: 'dedup', data: 'x', ref: i, msg: 'm1' });
    await until(() => a.of('ack').length === 3);
    const acks = a.of('ack');
    assert.deepEqual(
      acks.map((f) => [f.ref, f.id, f.duplicate]),
      [
        [0, acks[0].id, undefined],
        [1, acks[0].id, true],
        [2, acks[0].id, true],
      ],
    );
    // The same message after a reconnect, presenting the publisher id: still one event.
    a.socket.close();
    const again = await client(h);
    again.send({ type: 'hello', publisher: a.hello.publisher });
    again.send({ type: 'publish', topic: 'dedup', data: 'x', ref: 9, msg: 'm1' });
    // Another publisher's message id `m1` is its own.
    const other = await client(h);
    other.send({ type: 'publish', topic: 'dedup', data: 'y', ref: 1, msg: 'm1' });
    await until(() => again.of('ack').length === 1 && other.of('ack').length === 1);
    assert.equal(again.of('ack')[0].id, acks[0].id);
    assert.notEqual(other.of('ack')[0].id, acks[0].id);
    await h.hub.publish('dedup', 'sentinel');
    await until(() => listener.of('message').some((f) => f.data === 'sentinel'));
    assert.deepEqual(
      listener.of('message').map((f) => f.data),
      ['x', 'y', 'sentinel'],
    );
    for (const c of [listener, again, other]) c.socket.close();
  });

  test('the window is bounded by count: past it a re-send is stored again (at least once)', async () => {
    const a = await client(h);
    for (let i = 0; i <= 50; i++)
      a.send({ type: 'publish', topic: 'window', data: i, ref: i, msg: String(i) });
    await until(() => a.of('ack').length === 51);
    a.send({ type: 'publish', topic: 'window', data: 0, ref: 'old', msg: '0' });
    a.send({ type: 'publish', topic: 'window', data: 50, ref: 'new', msg: '50' });
    await until(() => a.of('ack').length === 53);
    const byRef = new Map(a.of('ack').map((f) => [f.ref, f]));
    assert.notEqual(byRef.get('old').id, byRef.get(0).id, 'the oldest id fell out of the window');
    assert.equal(byRef.get('new').id, byRef.get(50).id);
    a.socket.close();
  });

  test("a publisher's own sends are skipped live and in replay, across reconnects, unless echo", async () => {
    const a = await client(h);
    const b = await client(h);
    for (const c of [a, b]) c.send({ type: 'subscribe', topics: ['own'] });
    await until(() => a.of('subscribed').length === 1 && b.of('subscribed').length === 1);
    const start = a.of('subscribed')[0].id;
    a.send({ type: 'publish', topic: 'own', data: 'a1', ref: 1, msg: '1' });
    a.send({ type: 'publish', topic: 'own', data: 'a-echo', ref: 2, msg: '2', echo: true });
    b.send({ type: 'publish', topic: 'own', data: 'b1', ref: 1, msg: '1' });
    await until(() => a.of('ack').length === 2 && b.of('ack').length === 1);
    await until(() => a.of('message').length === 2 && b.of('message').length === 2);
    assert.deepEqual(
      a.of('message').map((f) => f.data),
      ['a-echo', 'b1'],
    );
    a.socket.close();
    // Reconnect, present the publisher id, resume from before everything.
    const back = await client(h);
    back.send({ type: 'hello', publisher: a.hello.publisher });
    back.send({ type: 'subscribe', topics: ['own'], since: start });
    await h.hub.publish('own', 'sentinel');
    await until(() => back.of('message').some((f) => f.data === 'sentinel'));
    assert.deepEqual(
      back.of('message').map((f) => f.data),
      ['a-echo', 'b1', 'sentinel'],
    );
    back.send({ type: 'publish', topic: 'own', data: 'a2', ref: 3, msg: '3' });
    await until(() => b.of('message').length === 4);
    await h.hub.publish('own', 'sentinel 2');
    await until(() => back.of('message').some((f) => f.data === 'sentinel 2'));
    assert.ok(!back.of('message').some((f) => f.data === 'a2'));
    back.socket.close();
    b.socket.close();
  });

  test('a second auth frame checks every held topic again: refused ones end, the rest go on', async () => {
    const c = await client(h);
    c.send({ type: 'auth', token: 'all' });
    c.send({ type: 'subscribe', topics: ['secret-a', 'open-a'] });
    await until(() => c.of('subscribed').length === 1);
    c.send({ type: 'auth', token: 'some' });
    await until(() => c.of('unsubscribed').length === 1 && c.of('error').length === 1);
    assert.deepEqual(c.of('unsubscribed')[0].topics, ['secret-a']);
    assert.equal(c.of('error')[0].code, 'forbidden');
    await h.hub.publish('secret-a', 'hidden');
    await h.hub.publish('open-a', 'visible');
    await until(() => c.of('message').length === 1);
    await settled(c);
    assert.deepEqual(
      c.of('message').map((f) => f.data),
      ['visible'],
    );
    c.socket.close();
  });

  test('an oversize frame gets exactly one close code, 1009, every time', async () => {
    const codes = [];
    for (let i = 0; i < 15; i++) {
      const c = await openWs(wsUrl(h));
      c.send({ type: 'publish', topic: 't', data: 'x'.repeat(8000 + i * 5000), ref: 1, msg: '1' });
      c.send({ type: 'publish', topic: 't', data: 1, ref: 2, msg: '2' });
      codes.push((await c.closed).code);
    }
    assert.deepEqual(codes, Array(15).fill(1009));
  });
});

describe('hub WebSocket: clients that leave mid-await, and a store that is away', () => {
  /**
   * A hub whose `authorize` waits at a gate for the given actions, and whose store counts the
   * subscriptions that started (each calls `latestId` once): a ghost would start one.
   */
  async function gatedHub(gatedActions) {
    const gates = [];
    const store = new MemoryStore();
    const latestId = store.latestId.bind(store);
    const hub = { gates, started: 0 };
    store.latestId = () => (hub.started++, latestId());
    hub.h = await startHub({
      store,
      authorize: ({ action }) =>
        gatedActions.includes(action) ? new Promise((resolve) => gates.push(resolve)) : true,
    });
    return hub;
  }

  for (const [awaiting, frames] of [
    ['subscribe', [{ type: 'subscribe', topics: ['ghost'] }]],
    [
      'auth',
      [
        { type: 'auth', token: 't' },
        { type: 'subscribe', topics: ['ghost'] },
      ],
    ],
  ]) {
    test(`a socket that closes while ${awaiting} awaits authorize leaves no subscription behind`, async () => {
      const g = await gatedHub([awaiting]);
      try {
        const c = await client(g.h);
        for (const frame of frames) c.send(frame);
        await until(() => g.gates.length === 1);
        c.socket.close();
        await until(() => g.h.hub.stats().ws === 0);
        g.gates[0](true);
        // A sentinel: a second connection subscribes after; only its subscription starts.
        const d = await client(g.h);
        for (const frame of frames) d.send(frame);
        await until(() => g.gates.length === 2);
        g.gates[1](true);
        await until(() => d.of('subscribed').length === 1);
        assert.equal(g.started, 1);
        d.socket.close();
      } finally {
        await g.h.close();
      }
    });
  }

  test('while the store refuses, a publish gets error unavailable and close 1013 (try again later)', async () => {
    const store = new MemoryStore();
    let down = true;
    const append = store.append.bind(store);
    store.append = (...args) =>
      down ? Promise.reject(new Error('connection lost')) : append(...args);
    const h = await startHub({ store });
    try {
      const c = await client(h);
      c.send({ type: 'publish', topic: 'down', data: 1, ref: 7, msg: '1' });
      const closed = await c.closed;
      assert.equal(closed.code, 1013);
      assert.deepEqual(
        c.of('error').map((f) => [f.code, f.ref]),
        [['unavailable', 7]],
      );
      down = false;
      const again = await client(h);
      again.send({ type: 'hello', publisher: c.hello.publisher });
      again.send({ type: 'publish', topic: 'down', data: 1, ref: 7, msg: '1' });
      await until(() => again.of('ack').length === 1);
      again.socket.close();
    } finally {
      await h.close();
    }
  });

  test('a replay the store cannot give is unavailable and 1013 too, not a silent gap', async () => {
    const store = new MemoryStore();
    store.replay = () => Promise.reject(new Error('connection lost'));
    const h = await startHub({ store });
    try {
      const first = await h.hub.publish('gap', 0);
      const c = await client(h);
      c.send({ type: 'subscribe', topics: ['gap'], since: first.id });
      assert.equal((await c.closed).code, 1013);
      assert.deepEqual(
        c.of('error').map((f) => f.code),
        ['unavailable'],
      );
    } finally {
      await h.close();
    }
  });
});

describe('hub HTTP publish: Idempotency-Key', () => {
  let h;
  before(async () => (h = await startHub({ allowedOrigins: ['http://app.example'] })));
  after(() => h.close());
  const post = (data, headers) =>
    httpJson(h.url('/publish?topic=idem'), { method: 'POST', body: data, headers });

  test('a repeated key gets the original id and one event; keys are scoped to the caller', async () => {
    const c = await client(h);
    c.send({ type: 'subscribe', topics: ['idem'] });
    await until(() => c.of('subscribed').length === 1);
    const first = await post({ n: 1 }, { 'idempotency-key': 'order-1', authorization: 'Bearer a' });
    const repeat = await post(
      { n: 1 },
      { 'idempotency-key': 'order-1', authorization: 'Bearer a' },
    );
    const otherCaller = await post(
      { n: 2 },
      { 'idempotency-key': 'order-1', authorization: 'Bearer b' },
    );
    assert.deepEqual([first.status, repeat.status, otherCaller.status], [200, 200, 200]);
    assert.equal(repeat.body.id, first.body.id);
    assert.notEqual(otherCaller.body.id, first.body.id);
    await h.hub.publish('idem', 'sentinel');
    await until(() => c.of('message').some((f) => f.data === 'sentinel'));
    assert.deepEqual(
      c.of('message').map((f) => f.data),
      [{ n: 1 }, { n: 2 }, 'sentinel'],
    );
    const bad = await post(1, { 'idempotency-key': 'x'.repeat(65) });
    assert.deepEqual([bad.status, bad.body.error], [400, 'bad-idempotency-key']);
    c.socket.close();
  });

  // Red team (IETF draft-ietf-httpapi-idempotency-key-header § 2.7; Stripe and socket.io-style
  // per-id de-duplication): a key is reused for another topic. Before, the second publish got
  // the first topic's event id back and its own data was stored nowhere — a lost message.
  test('one key on two topics publishes to each: the window is per topic', async () => {
    const c = await client(h);
    c.send({ type: 'subscribe', topics: ['idem-a', 'idem-b'] });
    await until(() => c.of('subscribed').length === 1);
    const at = (topic, data) =>
      httpJson(h.url(`/publish?topic=${topic}`), {
        method: 'POST',
        body: JSON.stringify(data),
        headers: { 'idempotency-key': 'order-9' },
      });
    const a = await at('idem-a', 'to a');
    const b = await at('idem-b', 'to b');
    const again = await at('idem-b', 'to b');
    assert.notEqual(b.body.id, a.body.id);
    assert.equal(again.body.id, b.body.id);
    // A raw WebSocket publisher reusing one msg id on two topics: each is stored once.
    c.send({ type: 'publish', topic: 'idem-a', data: 'ws a', ref: 1, msg: 'm1' });
    c.send({ type: 'publish', topic: 'idem-b', data: 'ws b', ref: 2, msg: 'm1', echo: true });
    c.send({ type: 'publish', topic: 'idem-b', data: 'ws b', ref: 3, msg: 'm1', echo: true });
    await until(() => c.of('ack').length === 3);
    assert.deepEqual(
      c.of('ack').map((f) => !!f.duplicate),
      [false, false, true],
    );
    await h.hub.publish('idem-b', 'sentinel');
    await until(() => c.of('message').some((f) => f.data === 'sentinel'));
    assert.deepEqual(
      c.of('message').map((f) => `${f.topic} ${f.data}`),
      ['idem-a to a', 'idem-b to b', 'idem-b ws b', 'idem-b sentinel'],
    );
    c.socket.close();
  });

  // Red team (josipmusa/idempotency4j#12, nensii21/devlink#1200: a key reused with another body
  // silently answered the first response and the second request never ran). Before, the second
  // publish got the first event's id and its data was stored nowhere.
  test('one key with other data is not a retry: that data is published, not dropped', async () => {
    const c = await client(h);
    c.send({ type: 'subscribe', topics: ['idem-c'] });
    await until(() => c.of('subscribed').length === 1);
    const at = (data) =>
      httpJson(h.url('/publish?topic=idem-c'), {
        method: 'POST',
        body: JSON.stringify(data),
        headers: { 'idempotency-key': 'cart-1' },
      });
    const first = await at({ total: 42 });
    const other = await at({ total: 43 });
    const retry = await at({ total: 43 });
    assert.notEqual(other.body.id, first.body.id);
    assert.equal(retry.body.id, other.body.id);
    await h.hub.publish('idem-c', 'sentinel');
    await until(() => c.of('message').some((f) => f.data === 'sentinel'));
    assert.deepEqual(
      c.of('message').map((f) => f.data),
      [{ total: 42 }, { total: 43 }, 'sentinel'],
    );
    c.socket.close();
  });

  test('the CORS preflight allows the Idempotency-Key header', async () => {
    const res = await httpJson(h.url('/publish?topic=idem'), {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.match(res.headers['access-control-allow-headers'], /Idempotency-Key/);
  });
});

// Hub scale-out through a real redis-server: several hub processes behave as one hub.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, openSse, openWs, until } from './hub-helpers.mjs';
import { startHubProcess, startRedis } from './redis-helpers.mjs';

const post = (hub, topic, data) =>
  httpJson(hub.url(`/publish?topic=${topic}`), { method: 'POST', body: JSON.stringify(data) });

describe('hub with Redis', () => {
  let redis;
  let hubs;
  before(async () => {
    redis = await startRedis();
    hubs = await Promise.all([1, 2, 3].map(() => startHubProcess(redis.url)));
  });
  after(async () => {
    await Promise.all(hubs.map((hub) => hub.stop()));
    await redis.stop();
  });

  test('what one process publishes reaches SSE, WebSocket and long-poll subscribers on the others, once and in order', async () => {
    const [a, b, c] = hubs;
    const sse = await openSse(a.url('/sse?topic=fan'));
    const ws = await openWs(b.url('/ws').replace('http', 'ws'));
    ws.send({ type: 'subscribe', topics: ['fan'] });
    await until(() => ws.of('subscribed').length === 1);
    await until(() => sse.records().some((r) => r.event === 'cursor'));
    let cursor = sse.records().find((r) => r.event === 'cursor').id;
    for (let i = 0; i < 60; i++) {
      const { status } = await post(hubs[i % 3], 'fan', i);
      assert.equal(status, 200);
    }
    const polled = [];
    while (polled.length < 60) {
      const { body } = await httpJson(c.url(`/poll?topic=fan&since=${cursor}&timeout=2000`));
      polled.push(...body.events.map((e) => e.data));
      cursor = body.cursor;
    }
    await until(
      () => sse.events().length === 60 && ws.of('message').length === 60,
      10_000,
      'fan-out',
    );
    const expected = [...Array(60).keys()];
    assert.deepEqual(
      sse.events().map((e) => JSON.parse(e.data)),
      expected,
    );
    assert.deepEqual(
      ws.of('message').map((f) => f.data),
      expected,
    );
    assert.deepEqual(polled, expected);
    const ids = sse.events().map((e) => e.id);
    assert.deepEqual(
      ws.of('message').map((f) => f.id),
      ids,
      'one id order across processes',
    );
    sse.close();
    ws.socket.close();
  });

  test('hub.disconnect({ user }) on one process ends that user on every process and transport', async () => {
    const [a, b, c] = hubs;
    const sse = await openSse(a.url('/sse?topic=ban'), { 'X-User': 'mallory' });
    const other = await openSse(a.url('/sse?topic=ban'), { 'X-User': 'alice' });
    const ws = await openWs(b.url('/ws').replace('http', 'ws'));
    ws.send({ type: 'auth', token: 'mallory' });
    ws.send({ type: 'subscribe', topics: ['ban'] });
    await until(() => ws.of('subscribed').length === 1);
    await until(() => sse.records().some((r) => r.event === 'cursor'));
    const cursor = sse.records().find((r) => r.event === 'cursor').id;
    const held = httpJson(c.url(`/poll?topic=ban&since=${cursor}&timeout=20000`), {
      headers: { 'X-User': 'mallory' },
    });
    // The poll is held once process c counts it.
    await until(async () => (await httpJson(c.url('/health'))).body.poll >= 1, 5000, 'held');
    const { body } = await httpJson(a.url('/disconnect?user=mallory').replace('/realtime', ''), {
      method: 'POST',
    });
    assert.equal(body.ended, 1, 'one connection of mallory on process a');
    await until(() => sse.records().some((r) => r.event === '$revoked'), 5000, 'SSE $revoked');
    assert.equal((await ws.closed).code, 4401, 'WebSocket 4401');
    const poll = await held;
    assert.equal(poll.status, 401);
    assert.equal(poll.body.error, 'unauthorized');
    // alice is untouched: she still gets what is published.
    await post(b, 'ban', 'still here');
    await until(() => other.events().some((e) => JSON.parse(e.data) === 'still here'));
    sse.close();
    other.close();
  });

  test('replay on a different process: missed events, then live, no duplicate', async () => {
    const [a, b, c] = hubs;
    const first = await openSse(a.url('/sse?topic=move'));
    await until(() => first.records().some((r) => r.event === 'cursor'));
    await post(b, 'move', 'one');
    await until(() => first.events().length === 1);
    const last = first.events()[0].id;
    first.close();
    await post(b, 'move', 'two');
    await post(a, 'move', 'three');
    const second = await openSse(c.url('/sse?topic=move'), { 'Last-Event-ID': last });
    await until(() => second.events().length === 2);
    await post(a, 'move', 'four');
    await until(() => second.events().length === 3);
    assert.deepEqual(
      second.events().map((e) => JSON.parse(e.data)),
      ['two', 'three', 'four'],
    );
    assert.ok(
      !second.records().some((r) => r.event === 'reset'),
      'another process is not a restart',
    );
    second.close();
  });

  test('a WebSocket publisher on one process does not get its own message back from another', async () => {
    const [a, b] = hubs;
    const publisher = await openWs(a.url('/ws').replace('http', 'ws'));
    const listener = await openWs(b.url('/ws').replace('http', 'ws'));
    for (const client of [publisher, listener])
      client.send({ type: 'subscribe', topics: ['echo'] });
    await until(() => publisher.of('subscribed').length && listener.of('subscribed').length);
    publisher.send({ type: 'publish', topic: 'echo', data: 'hi', ref: 1 });
    await until(() => listener.of('message').length === 1 && publisher.of('ack').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(publisher.of('message').length, 0);
    publisher.socket.close();
    listener.socket.close();
  });

  test('Redis killed and restarted during traffic: publishes fail loudly, subscribers stay and catch up', async () => {
    const [a, b] = hubs;
    const stream = await openSse(a.url('/sse?topic=outage'));
    await until(() => stream.records().some((r) => r.event === 'cursor'));
    await post(b, 'outage', 'before');
    await until(() => stream.events().length === 1);
    await redis.kill();
    const failed = await post(b, 'outage', 'during');
    assert.equal(failed.status, 503);
    assert.equal(failed.body.error, 'unavailable');
    assert.equal(stream.res.destroyed, false, 'subscribers stay connected');
    await redis.restart();
    await until(
      async () => (await post(b, 'outage', 'after')).status === 200,
      10_000,
      'publish recovers',
    );
    await until(
      () => stream.events().some((e) => JSON.parse(e.data) === 'after'),
      10_000,
      'catch-up',
    );
    const data = stream.events().map((e) => JSON.parse(e.data));
    assert.equal(data[0], 'before');
    assert.equal(new Set(data).size, data.length, 'no duplicate');
    stream.close();
  });

  test('a hub process killed mid-stream: its clients reconnect to another and miss nothing', async () => {
    const victim = await startHubProcess(redis.url);
    const [, b] = hubs;
    const stream = await openSse(victim.url('/sse?topic=failover'));
    await until(() => stream.records().some((r) => r.event === 'cursor'));
    for (let i = 0; i < 5; i++) await post(b, 'failover', i);
    await until(() => stream.events().length === 5);
    const last = stream.events().at(-1).id;
    victim.kill();
    for (let i = 5; i < 10; i++) await post(b, 'failover', i);
    const moved = await openSse(b.url('/sse?topic=failover'), { 'Last-Event-ID': last });
    await until(() => moved.events().length === 5);
    assert.deepEqual(
      moved.events().map((e) => JSON.parse(e.data)),
      [5, 6, 7, 8, 9],
    );
    moved.close();
  });
});

test('the in-memory hub never loads Redis code: ioredis is reached only through a dynamic import', async () => {
  const { readFileSync } = await import('node:fs');
  const { dirname, resolve } = await import('node:path');
  const seen = new Set();
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const [, specifier] of code.matchAll(
      /^(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm,
    )) {
      assert.ok(!specifier.includes('ioredis'), `${file} imports ioredis statically`);
      if (specifier.startsWith('.')) walk(resolve(dirname(file), specifier));
    }
  };
  walk(resolve('dist/server/index.js'));
  assert.ok(
    ![...seen].some((file) => file.endsWith('redis-store.js')),
    'redis-store is statically reachable',
  );
  assert.match(
    readFileSync('dist/server/core.js', 'utf8'),
    /import\(['"]\.\/redis-store\.js['"]\)/,
  );
});

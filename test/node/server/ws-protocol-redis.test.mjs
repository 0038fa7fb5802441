// De-duplication across hub processes (issue #17): the window lives in Redis, checked and
// written inside the same atomic append, so two processes never both store one message.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, openWs, until } from './hub-helpers.mjs';
import { startHubProcess, startRedis } from './redis-helpers.mjs';

const client = async (hub) => {
  const c = await openWs(hub.url('/ws').replace('http', 'ws'));
  await until(() => c.of('hello').length === 1, 15_000, 'hello');
  c.hello = c.of('hello')[0];
  return c;
};

describe('de-duplication across hub processes (Redis)', () => {
  let redis;
  let hubs;
  before(async () => {
    redis = await startRedis();
    hubs = await Promise.all([1, 2].map(() => startHubProcess(redis.url, { dedupWindow: 500 })));
  });
  after(async () => {
    await Promise.all(hubs.map((hub) => hub.stop()));
    await redis.stop();
  });

  test('one message sent to two processes at once is stored once; both acks carry its id', async () => {
    const [a, b] = hubs;
    const listener = await client(b);
    listener.send({ type: 'subscribe', topics: ['twice'] });
    await until(() => listener.of('subscribed').length === 1);
    const onA = await client(a);
    const onB = await client(b);
    // The same publisher on both processes (a reconnect that raced its old socket).
    onB.send({ type: 'hello', publisher: onA.hello.publisher });
    for (let i = 0; i < 100; i++) {
      const frame = { type: 'publish', topic: 'twice', data: i, ref: i, msg: `m${i}` };
      onA.send(frame);
      onB.send(frame);
    }
    await until(() => onA.of('ack').length === 100 && onB.of('ack').length === 100, 10_000);
    for (let i = 0; i < 100; i++) assert.equal(onA.of('ack')[i].id, onB.of('ack')[i].id);
    const duplicates = [...onA.of('ack'), ...onB.of('ack')].filter((f) => f.duplicate).length;
    assert.equal(duplicates, 100);
    const sentinel = await httpJson(b.url('/publish?topic=twice'), {
      method: 'POST',
      body: '"end"',
    });
    assert.equal(sentinel.status, 200);
    await until(() => listener.of('message').some((f) => f.data === 'end'), 10_000);
    assert.deepEqual(
      listener.of('message').map((f) => f.data),
      [...Array(100).keys(), 'end'],
    );
    for (const c of [listener, onA, onB]) c.socket.close();
  });

  test('an Idempotency-Key retried on the other process returns the same id', async () => {
    const [a, b] = hubs;
    const post = (hub) =>
      httpJson(hub.url('/publish?topic=idem'), {
        method: 'POST',
        body: '{"order":7}',
        headers: { 'idempotency-key': 'order-7', cookie: 'session=s1' },
      });
    const [first, second] = await Promise.all([post(a), post(b)]);
    assert.deepEqual([first.status, second.status], [200, 200]);
    assert.equal(first.body.id, second.body.id);
  });
});

// The server-side API and the metrics with a real redis-server: multi-topic publishes are all or
// nothing under Redis faults (a key of the wrong type, redis-server killed mid-flood), subscriber
// counts and hub.unsubscribe reach across processes, and /metrics counts known traffic and
// Redis gap fills exactly. Seeded: SEED=<n> replays a run; the seed is printed on failure.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { appendScript } from '../../../dist/server/redis-scripts.js';
import { openSse, openWs, startHub, until } from './hub-helpers.mjs';
import { startHubProcess, startRedis } from './redis-helpers.mjs';
import { expectKnownTraffic, knownTraffic, scrape } from './metrics-helpers.mjs';
import { seeded } from './seeded.mjs';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seeded(seed);
const withSeed = (fn) => async (t) => {
  try {
    await fn(t);
  } catch (error) {
    console.error(`hub-api-redis: failed with SEED=${seed}`);
    throw error;
  }
};

let prefixes = 0;
const prefix = () => `api${process.pid}x${prefixes++}`;
const ws = (h) => h.url('/ws').replace('http', 'ws');

describe('server API and metrics with Redis', () => {
  let redis;
  let raw;
  before(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    raw.on('error', () => {});
  });
  after(async () => {
    raw.disconnect();
    await redis.stop();
  });

  test('/metrics counts known traffic exactly (Redis store)', async () => {
    const h = await startHub({
      redis: { url: redis.url, prefix: prefix() },
      metrics: true,
      rateLimit: 20,
    });
    try {
      const open = await knownTraffic(h);
      expectKnownTraffic(await scrape(h.url('/metrics')));
      for (const client of open) (client.socket ?? client).close?.();
    } finally {
      await h.close();
    }
  });

  test('a lost Pub/Sub message is one gap fill, and its events are delivered once', async () => {
    const tag = prefix();
    const h = await startHub({ redis: { url: redis.url, prefix: tag }, metrics: true });
    try {
      const sock = await openWs(ws(h));
      sock.send({ type: 'subscribe', topics: ['gap'] });
      await until(() => sock.of('subscribed').length === 1);
      await h.hub.publish('gap', 1);
      await until(() => sock.of('message').length === 1);
      // Another process's append whose Pub/Sub message never arrives: the real script, with its
      // message sent to a channel nobody hears.
      const keys = ['log', 'seq', 'epoch', 'lost', 'topics'].map((k) => `{${tag}}:${k}`);
      const epoch = await raw.get(`{${tag}}:epoch`);
      await raw.eval(
        appendScript,
        8,
        ...keys,
        `{${tag}}:nowhere`,
        `{${tag}}:dedup:`,
        `{${tag}}:h:gap`,
        `{${tag}}`,
        'unused',
        'gap',
        '2',
        '',
        10_000,
        epoch,
        0,
        '',
        1000,
        300_000,
        10_000,
        0,
      );
      await h.hub.publish('gap', 3);
      await until(() => sock.of('message').length === 3, 15_000, 'filled');
      assert.deepEqual(
        sock.of('message').map((f) => f.data),
        [1, 2, 3],
      );
      const m = await scrape(h.url('/metrics'));
      assert.equal(m.value('realtime_hub_redis_gap_fills_total'), 1);
      // The missed event and the one whose message revealed the gap, both from the log.
      assert.equal(m.value('realtime_hub_redis_gap_fill_events_total'), 2);
      assert.equal(m.value('realtime_hub_deliveries_total', { transport: 'ws' }), 3);
      sock.socket.close();
    } finally {
      await h.close();
    }
  });

  test('a key of the wrong type on the last topic: the publish fails and no topic got an event', async () => {
    const tag = prefix();
    const h = await startHub({ redis: { url: redis.url, prefix: tag } });
    try {
      await h.hub.publish(['w1', 'w2', 'w3'], 'before');
      const before = await h.hub.latestId();
      await raw.set(`{${tag}}:h:w3`, 'not a stream');
      await assert.rejects(h.hub.publish(['w1', 'w2', 'w3'], 'after'), { code: 'unavailable' });
      await raw.del(`{${tag}}:h:w3`);
      await raw.set(`{${tag}}:dedup:`, 'not a sorted set');
      await assert.rejects(h.hub.publish(['w1', 'w2'], 'after'), { code: 'unavailable' });
      await raw.del(`{${tag}}:dedup:`);
      assert.equal(await h.hub.latestId(), before, 'no id was issued');
      const { events } = await h.hub.history(['w1', 'w2']);
      assert.deepEqual(
        events.map((e) => e.data),
        ['before', 'before'],
      );
      // And it works again once the key is right.
      const ok = await h.hub.publish(['w1', 'w2', 'w3'], 'fixed');
      assert.equal(ok.length, 3);
    } finally {
      await h.close();
    }
  });

  test('Redis out of memory (maxmemory, noeviction): a multi-topic publish stores no topic', async () => {
    const tag = prefix();
    const h = await startHub({ redis: { url: redis.url, prefix: tag } });
    const [, maxmemory] = await raw.config('GET', 'maxmemory');
    const [, policy] = await raw.config('GET', 'maxmemory-policy');
    try {
      await h.hub.publish(['m1', 'm2'], 'before');
      const before = await h.hub.latestId();
      const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))[1]);
      await raw.config('SET', 'maxmemory-policy', 'noeviction');
      await raw.config('SET', 'maxmemory', String(Math.max(1, used - 1024 * 1024)));
      const big = 'x'.repeat(60_000);
      for (let i = 0; i < 5; i++) {
        await assert.rejects(h.hub.publish(['m1', 'm2', 'm3'], big), { code: 'unavailable' });
      }
      await raw.config('SET', 'maxmemory', '0');
      assert.equal(await h.hub.latestId(), before);
      const { events } = await h.hub.history(['m1', 'm2', 'm3']);
      assert.deepEqual(
        events.map((e) => [e.topic, e.data]),
        [
          ['m1', 'before'],
          ['m2', 'before'],
        ],
      );
    } finally {
      await raw.config('SET', 'maxmemory', maxmemory);
      await raw.config('SET', 'maxmemory-policy', policy);
      await h.close();
    }
  });

  test(
    'redis-server killed mid-flood of multi-topic publishes: every value is in all its topics or none',
    withSeed(async () => {
      const tag = prefix();
      const topics = ['k1', 'k2', 'k3', 'k4'];
      const h = await startHub({ redis: { url: redis.url, prefix: tag } });
      try {
        const killAfter = 20 + Math.floor(random() * 60);
        const inFlight = 2 + Math.floor(random() * 8);
        const outcomes = new Map();
        let next = 0;
        let resolved = 0;
        let killed;
        const worker = async () => {
          while (!killed || next < killAfter + 200) {
            const n = next++;
            if (n > killAfter + 200) return;
            try {
              const events = await h.hub.publish(topics, n);
              outcomes.set(
                n,
                events.map((e) => e.topic),
              );
              if (++resolved === killAfter && !killed) killed = redis.kill();
            } catch (error) {
              outcomes.set(n, error.code);
              if (killed) return;
            }
          }
        };
        await Promise.all(Array.from({ length: inFlight }, worker));
        await killed;
        await redis.restart();
        await until(
          async () => (await h.hub.latestId().catch(() => undefined)) !== undefined,
          30_000,
          'store back',
        );
        const found = new Map();
        for (const topic of topics) {
          const { events } = await h.hub.history(topic, { limit: 100_000 });
          for (const { data } of events) found.set(data, [...(found.get(data) ?? []), topic]);
        }
        for (const [n, where] of found) {
          assert.deepEqual(where, topics, `value ${n} is in ${where} only (seed ${seed})`);
        }
        for (const [n, outcome] of outcomes) {
          if (Array.isArray(outcome)) assert.ok(found.has(n), `acknowledged ${n} was lost`);
        }
        assert.ok(
          [...outcomes.values()].some((o) => !Array.isArray(o)),
          'some publishes failed: the cut was mid-flood',
        );
      } finally {
        await h.close();
      }
    }),
  );

  test('hub.topics() counts every process; a killed process drops out within 3 × countsInterval', async () => {
    const tag = prefix();
    const countsInterval = 200;
    const a = await startHub({ redis: { url: redis.url, prefix: tag, countsInterval } });
    const b = await startHubProcess(redis.url, {
      redis: { url: redis.url, prefix: tag, countsInterval },
    });
    try {
      const local = await openSse(a.url('/sse?topic=c1'));
      const remote = [
        await openSse(b.url('/sse?topic=c1&topic=c2')),
        await openSse(b.url('/sse?topic=c2')),
      ];
      await until(() => local.records().some((r) => r.event === 'cursor'));
      const expected = [
        { topic: 'c1', subscribers: 2, local: 1 },
        { topic: 'c2', subscribers: 2, local: 0 },
      ];
      await until(
        async () => JSON.stringify(await a.hub.topics()) === JSON.stringify(expected),
        15_000,
        'counts across processes',
      );
      assert.deepEqual(await a.hub.topic('c2'), { topic: 'c2', subscribers: 2, local: 0 });
      for (const stream of remote) stream.close();
      await until(
        async () => (await a.hub.topic('c2')).subscribers === 0,
        15_000,
        'closed streams leave',
      );
      const again = await openSse(b.url('/sse?topic=c3'));
      await until(async () => (await a.hub.topic('c3')).subscribers === 1, 15_000, 'c3');
      const killed = Date.now();
      b.kill();
      await until(
        async () => (await a.hub.topic('c3')).subscribers === 0,
        3 * countsInterval + 5000,
        'a killed process drops out',
      );
      const took = Date.now() - killed;
      assert.ok(took <= 3 * countsInterval + 5000, `took ${took} ms`);
      assert.deepEqual(await a.hub.topics(), [{ topic: 'c1', subscribers: 1, local: 1 }]);
      local.close();
      again.close();
    } finally {
      b.kill();
      await a.close();
    }
  });

  test('counts of thousands of topics cross processes (Lua unpack limits)', async () => {
    const tag = prefix();
    // 1 s, not 100 ms: another process's counts expire after 3 intervals, and a test process
    // starved at load 17 let 5,000 counts lapse between hub.topics() and hub.topic() (CI).
    const options = { redis: { url: redis.url, prefix: tag, countsInterval: 1000 } };
    const a = await startHub(options);
    const b = await startHub({ ...options, maxTopicsPerConnection: 5000 });
    try {
      const sock = await openWs(ws(b));
      const topics = Array.from({ length: 5000 }, (_, i) => `many${i}`);
      sock.send({ type: 'subscribe', topics });
      await until(() => sock.of('subscribed').length === 1, 30_000, 'subscribed');
      await until(async () => (await a.hub.topics()).length === 5000, 30_000, 'all counted');
      assert.deepEqual(await a.hub.topic('many4999'), {
        topic: 'many4999',
        subscribers: 1,
        local: 0,
      });
      sock.socket.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('hub.unsubscribe({ user }) reaches subscriptions on another process', async () => {
    const tag = prefix();
    const a = await startHub({ redis: { url: redis.url, prefix: tag } });
    const b = await startHubProcess(redis.url, { redis: { url: redis.url, prefix: tag } });
    try {
      const sock = await openWs(ws(b));
      sock.send({ type: 'auth', token: 'eve' });
      sock.send({ type: 'subscribe', topics: ['u1', 'u2'] });
      await until(() => sock.of('subscribed').length === 1);
      const sse = await openSse(b.url('/sse?topic=u1&topic=u2'), { 'X-User': 'eve' });
      await until(() => sse.records().some((r) => r.event === 'cursor'));
      assert.equal(await a.hub.unsubscribe({ user: 'eve' }, ['u1']), 0, 'none on this process');
      await until(() => sock.of('unsubscribed').length === 1, 15_000, 'ws unsubscribed');
      await until(() => sse.records().some((r) => r.event === '$unsubscribed'), 15_000, 'sse');
      await a.hub.publish(['u1', 'u2'], 'after');
      await until(() => sock.of('message').length === 1 && sse.events().length === 2);
      assert.deepEqual(
        sock.of('message').map((f) => f.topic),
        ['u2'],
      );
      assert.deepEqual(
        sse.events().map((e) => e.event),
        ['$unsubscribed', 'u2'],
      );
      sock.socket.close();
      sse.close();
    } finally {
      await b.stop();
      await a.close();
    }
  });
});

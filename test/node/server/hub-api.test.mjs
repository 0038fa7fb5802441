// The server-side API (hub.publish to several topics, hub.unsubscribe, hub.topics) and the
// Prometheus metrics, on the memory store, with real clients over every transport.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { httpJson, openSse, openWs, startHub, until } from './hub-helpers.mjs';
import { expectKnownTraffic, knownTraffic, scrape } from './metrics-helpers.mjs';

const ws = (h) => h.url('/ws').replace('http', 'ws');
// Who a client is: its WebSocket auth token or its X-User header.
const authorize = ({ req, token }) => ({ user: token ?? req.headers['x-user'] });

describe('hub.publish to several topics', () => {
  test('one event per topic, in the order given, with consecutive ids; every subscriber once', async () => {
    const h = await startHub();
    try {
      const stream = await openSse(h.url('/sse?topic=x&topic=y&topic=z'));
      await until(() => stream.records().some((r) => r.event === 'cursor'));
      const events = await h.hub.publish(['z', 'x', 'y'], { n: 1 });
      assert.deepEqual(
        events.map((e) => [e.topic, e.data]),
        [
          ['z', { n: 1 }],
          ['x', { n: 1 }],
          ['y', { n: 1 }],
        ],
      );
      const seqs = events.map((e) => Number(e.id.split('-')[1]));
      assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2]);
      await until(() => stream.events().length === 3);
      assert.deepEqual(
        stream.events().map((e) => e.id),
        events.map((e) => e.id),
      );
      // One topic alone still answers one event, not a list.
      assert.equal((await h.hub.publish('x', 2)).topic, 'x');
      stream.close();
    } finally {
      await h.close();
    }
  });

  test('a bad topic, bad data or no topic stores nothing', async () => {
    const h = await startHub();
    try {
      const before = await h.hub.latestId();
      const refusals = [
        [['ok', 'bad topic!'], 1, 'bad-topic'],
        [[], 1, 'bad-topic'],
        [['ok', 'cursor'], 1, 'bad-topic'],
        [['ok', 'fine'], 10n, 'bad-data'],
        [['ok', 'fine'], 'x'.repeat(70_000), 'too-large'],
      ];
      for (const [topics, data, code] of refusals) {
        await assert.rejects(h.hub.publish(topics, data), { code });
      }
      assert.equal(await h.hub.latestId(), before, 'nothing stored');
    } finally {
      await h.close();
    }
  });

  test('a store without appendMany still gets every topic (one append each)', async () => {
    const { MemoryStore } = await import('../../../dist/server/index.js');
    const inner = new MemoryStore();
    const store = {
      append: (...args) => inner.append(...args),
      replay: (...args) => inner.replay(...args),
      recent: (...args) => inner.recent(...args),
      latestId: () => inner.latestId(),
      onEvent: (listener) => inner.onEvent(listener),
      close: () => inner.close(),
    };
    const h = await startHub({ store });
    try {
      const events = await h.hub.publish(['p', 'q'], 1);
      assert.deepEqual(
        events.map((e) => e.topic),
        ['p', 'q'],
      );
    } finally {
      await h.close();
    }
  });
});

describe('hub.unsubscribe', () => {
  test('removes topics from live SSE, WebSocket and held-poll subscriptions; their other topics go on', async () => {
    const h = await startHub({ authorize });
    try {
      const sse = await openSse(h.url('/sse?topic=keep&topic=drop'), { 'X-User': 'u1' });
      const other = await openSse(h.url('/sse?topic=keep&topic=drop'), { 'X-User': 'u2' });
      const sock = await openWs(ws(h));
      sock.send({ type: 'auth', token: 'u1' });
      sock.send({ type: 'subscribe', topics: ['keep', 'drop'] });
      await until(() => sock.of('subscribed').length === 1);
      await until(() => sse.records().some((r) => r.event === 'cursor'));
      await until(() => other.records().some((r) => r.event === 'cursor'));
      const cursor = sse.records().find((r) => r.event === 'cursor').id;
      const partial = httpJson(h.url(`/poll?topic=keep&topic=drop&since=${cursor}&timeout=20000`), {
        headers: { 'X-User': 'u1' },
      });
      const whole = httpJson(h.url(`/poll?topic=drop&since=${cursor}&timeout=20000`), {
        headers: { 'X-User': 'u1' },
      });
      await until(() => h.hub.stats().poll === 2);

      // SSE stream, WebSocket and both polls of u1: 4 connections lost a topic.
      assert.equal(await h.hub.unsubscribe((c) => c.user === 'u1', 'drop'), 4);
      // The poll left with no topic is answered at once, naming the topic.
      const answered = await whole;
      assert.deepEqual(answered.body.events, []);
      assert.deepEqual(answered.body.unsubscribed, ['drop']);
      assert.equal(answered.body.cursor, cursor);
      await until(() => sock.of('unsubscribed').length === 1);
      assert.deepEqual(sock.of('unsubscribed')[0].topics, ['drop']);
      await until(() => sse.records().some((r) => r.event === '$unsubscribed'));
      assert.deepEqual(JSON.parse(sse.records().find((r) => r.event === '$unsubscribed').data), {
        topics: ['drop'],
      });

      await h.hub.publish('drop', 'gone');
      await h.hub.publish('keep', 'kept');
      await until(() => other.events().length === 2, 15_000, 'u2 gets both');
      await until(() => sse.events().some((e) => e.event === 'keep'));
      assert.ok(!other.records().some((r) => r.event === '$unsubscribed'), 'u2 is untouched');
      await until(() => sock.of('message').length === 1);
      assert.deepEqual(
        sse
          .records()
          .map((e) => e.event)
          .filter(Boolean),
        ['cursor', '$unsubscribed', 'keep'],
        'no event of the dropped topic after $unsubscribed',
      );
      assert.deepEqual(
        sock.of('message').map((f) => f.topic),
        ['keep'],
      );
      const rest = await partial;
      assert.deepEqual(
        rest.body.events.map((e) => e.topic),
        ['keep'],
      );
      assert.deepEqual(rest.body.unsubscribed, ['drop']);
      assert.equal(sock.socket.readyState, 1, 'the socket stays open');
      assert.equal(h.hub.stats().sse, 2, 'the streams stay open');

      // A stream that loses its last topic ends after the $unsubscribed event.
      assert.equal(await h.hub.unsubscribe({ user: 'u1' }, ['keep']), 2);
      await until(() => h.hub.stats().sse === 1, 15_000, 'the emptied stream ended');
      // The server's end can come before the client has read the last frame: wait for it.
      await until(
        () => sse.records().filter((r) => r.event === '$unsubscribed').length === 2,
        15_000,
        'the second $unsubscribed',
      );
      // Nobody holds it any more: 0.
      assert.equal(await h.hub.unsubscribe({ user: 'u1' }, ['keep']), 0);
      assert.equal(await h.hub.unsubscribe(() => true, ['nobody']), 0);
      await assert.rejects(
        h.hub.unsubscribe(() => true, ['bad topic!']),
        { code: 'bad-topic' },
      );
      await assert.rejects(
        h.hub.unsubscribe(() => true, []),
        { code: 'bad-topic' },
      );
      await assert.rejects(
        h.hub.unsubscribe(() => true, new Set(['keep'])),
        {
          code: 'bad-topic',
          message: /an array/,
        },
      );
      // A predicate that throws matches nothing.
      assert.equal(
        await h.hub.unsubscribe(() => {
          throw new Error('boom');
        }, 'keep'),
        0,
      );
      other.close();
      sock.socket.close();
    } finally {
      await h.close();
    }
  });

  test('a topic dropped while its replay is being read delivers nothing of it', async () => {
    const h = await startHub();
    try {
      const first = await h.hub.publish('r1', 0);
      for (let i = 1; i <= 50; i++) await h.hub.publish(['r1', 'r2'], i);
      const sock = await openWs(ws(h));
      // The unsubscribe lands in the same turn as the subscribe's start (replay pending).
      sock.send({ type: 'subscribe', topics: ['r1', 'r2'], since: first.id });
      await until(() => sock.of('subscribed').length === 1);
      await h.hub.unsubscribe(() => true, 'r1');
      await h.hub.publish('r2', 'sentinel');
      await until(() => sock.of('message').some((f) => f.data === 'sentinel'));
      const r1 = sock.of('message').filter((f) => f.topic === 'r1');
      const unsubscribedAt = sock.frames.findIndex((f) => f.type === 'unsubscribed');
      assert.ok(unsubscribedAt >= 0);
      assert.ok(
        r1.every((f) => sock.frames.indexOf(f) < unsubscribedAt),
        'r1 only before the unsubscribed frame',
      );
      sock.socket.close();
    } finally {
      await h.close();
    }
  });
});

describe('hub.topics', () => {
  test('counts live subscriptions per topic, every transport; zero when they leave', async () => {
    const h = await startHub();
    try {
      assert.deepEqual(await h.hub.topics(), []);
      const a = await openSse(h.url('/sse?topic=t1&topic=t2'));
      const b = await openSse(h.url('/sse?topic=t1'));
      const sock = await openWs(ws(h));
      sock.send({ type: 'subscribe', topics: ['t2'] });
      sock.send({ type: 'subscribe', topics: ['t3'] });
      await until(() => sock.of('subscribed').length === 2);
      const cursor = await h.hub.latestId();
      const held = httpJson(h.url(`/poll?topic=t3&since=${cursor}&timeout=300`));
      await until(() => h.hub.stats().sse === 2 && h.hub.stats().poll === 1);
      assert.deepEqual(await h.hub.topics(), [
        { topic: 't1', subscribers: 2, local: 2 },
        { topic: 't2', subscribers: 2, local: 2 },
        { topic: 't3', subscribers: 2, local: 2 },
      ]);
      assert.deepEqual(await h.hub.topic('t1'), { topic: 't1', subscribers: 2, local: 2 });
      assert.deepEqual(await h.hub.topic('none'), { topic: 'none', subscribers: 0, local: 0 });
      await assert.rejects(h.hub.topic('bad topic!'), { code: 'bad-topic' });
      await held;
      a.close();
      b.close();
      sock.socket.close();
      await until(async () => (await h.hub.topics()).length === 0, 15_000, 'all gone');
    } finally {
      await h.close();
    }
  });
});

describe('metrics', () => {
  test('/metrics counts known traffic exactly (memory store)', async () => {
    const h = await startHub({ metrics: true, rateLimit: 20 });
    try {
      const open = await knownTraffic(h);
      const m = await scrape(h.url('/metrics'));
      assert.equal(m.status, 200);
      assert.match(m.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(m.cors, undefined, 'no CORS: no page of another origin reads it');
      expectKnownTraffic(m);
      for (const client of open) (client.socket ?? client).close?.();
    } finally {
      await h.close();
    }
  });

  test('prom-client loads only for a hub with metrics; without it /metrics is 503 metrics-unavailable', () => {
    const probe = (...args) =>
      JSON.parse(
        execFileSync(process.execPath, ['test/node/server/prom-client-probe.mjs', ...args], {
          encoding: 'utf8',
        }),
      );
    const present = probe();
    assert.equal(present.withoutMetrics, false, 'a hub without metrics never imports prom-client');
    assert.equal(present.withMetrics, true);
    assert.equal(present.status, 200);
    assert.match(present.body, /realtime_hub_publishes_total\{source="api"\} 1/);
    const missing = probe('missing');
    assert.equal(missing.status, 503);
    assert.equal(JSON.parse(missing.body).error, 'metrics-unavailable');
    assert.ok(missing.logged.some((line) => /npm install prom-client/.test(line)));
  });

  test('realtime-elements-server --metrics serves /metrics', async () => {
    const child = spawn(process.execPath, ['dist/server/cli.js', '--port', '0', '--metrics'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    try {
      const origin = await until(
        () => /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0],
        30_000,
        'listening',
      );
      const posted = await httpJson(`${origin}/realtime/publish?topic=cli&topic=cli2`, {
        method: 'POST',
        body: '1',
      });
      assert.equal(posted.body.ids.length, 2);
      const m = await scrape(`${origin}/realtime/metrics`);
      assert.equal(m.value('realtime_hub_publishes_total', { source: 'http' }), 2);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  test('a bad metrics option throws at createHub, before anything is opened', async () => {
    const { createHub } = await import('../../../dist/server/index.js');
    assert.throws(() => createHub({ metrics: 'yes' }), TypeError);
    assert.throws(() => createHub({ metrics: { registry: {} } }), /prom-client Registry/);
    // Off: false or absent.
    const h = await startHub({ metrics: false });
    assert.equal((await scrape(h.url('/metrics'))).status, 404);
    await h.close();
  });

  test('off by default: no /metrics route', async () => {
    const h = await startHub();
    try {
      const m = await scrape(h.url('/metrics'));
      assert.equal(m.status, 404);
      const { status } = await httpJson(h.url('/metrics'), { method: 'POST' });
      assert.equal(status, 404);
    } finally {
      await h.close();
    }
  });

  test('slow consumers cut off, on SSE and WebSocket, are counted once each', async () => {
    const h = await startHub({ metrics: true, maxBufferedBytes: 64 * 1024 });
    try {
      const raw = connect(new URL(h.origin).port, '127.0.0.1');
      raw.on('error', () => {});
      raw.write(`GET ${h.hub.options.basePath}/sse?topic=slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const sock = await openWs(ws(h));
      sock.send({ type: 'subscribe', topics: ['slow'] });
      await until(() => h.hub.stats().sse === 1 && sock.of('subscribed').length === 1);
      raw.pause(); // never read again
      sock.socket._socket.pause();
      const payload = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 4000 && (h.hub.stats().sse || h.hub.stats().ws); i++) {
        await h.hub.publish('slow', payload);
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await until(() => h.hub.stats().sse === 0 && h.hub.stats().ws === 0, 15_000, 'cut off');
      const m = await scrape(h.url('/metrics'));
      assert.equal(m.value('realtime_hub_slow_consumers_total', { transport: 'sse' }), 1);
      assert.equal(m.value('realtime_hub_slow_consumers_total', { transport: 'ws' }), 1);
      raw.destroy();
      sock.socket.terminate();
    } finally {
      await h.close();
    }
  });

  test('two hubs in one process: own registries by default, one shared registry adds up', async () => {
    const a = await startHub({ metrics: true });
    const b = await startHub({ metrics: true });
    const registry = new Registry();
    const c = await startHub({ metrics: { registry } });
    const d = await startHub({ metrics: { registry, endpoint: false } });
    try {
      await a.hub.publish('m', 1);
      await b.hub.publish(['m', 'n'], 1);
      await c.hub.publish('m', 1);
      await d.hub.publish(['m', 'n', 'o'], 1);
      const streams = [await openSse(c.url('/sse?topic=m')), await openSse(d.url('/sse?topic=m'))];
      await until(() => c.hub.stats().sse === 1 && d.hub.stats().sse === 1);
      const published = (m) => m.value('realtime_hub_publishes_total', { source: 'api' });
      assert.equal(published(await scrape(a.url('/metrics'))), 1);
      assert.equal(published(await scrape(b.url('/metrics'))), 2);
      const shared = await scrape(c.url('/metrics'));
      assert.equal(published(shared), 4, 'c and d share the registry: their counts add up');
      assert.equal(shared.value('realtime_hub_connections', { transport: 'sse' }), 2);
      assert.equal((await scrape(d.url('/metrics'))).status, 404, 'endpoint: false');
      // The application's own registry holds the same figures.
      assert.match(await registry.metrics(), /realtime_hub_publishes_total\{source="api"\} 4/);
      for (const stream of streams) stream.close();
      await d.close();
      // A closed hub no longer adds to the shared gauges.
      await until(
        async () =>
          (await scrape(c.url('/metrics'))).value('realtime_hub_connections', {
            transport: 'sse',
          }) === 0,
        15_000,
        'gauge after close',
      );
    } finally {
      await Promise.all([a.close(), b.close(), c.close(), d.close()]);
    }
  });
});

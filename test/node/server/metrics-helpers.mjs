// Scrapes a hub's /metrics (Prometheus text format) into a lookup, and a known traffic script
// whose exact figures the metrics tests check on every store.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { httpJson, openSse, openWs, until } from './hub-helpers.mjs';

/** GET a metrics URL: `{ status, type, text, value(name, labels) }` (value: undefined if absent). */
export function scrape(url) {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        const values = new Map();
        for (const line of res.statusCode === 200 ? text.split('\n') : []) {
          if (!line || line.startsWith('#')) continue;
          const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
          assert.ok(match, `not a Prometheus sample line: ${line}`);
          const labels = Object.fromEntries(
            [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
          );
          values.set(key(match[1], labels), Number(match[3]));
        }
        resolve({
          status: res.statusCode,
          type: res.headers['content-type'],
          cors: res.headers['access-control-allow-origin'],
          text,
          value: (name, labels = {}) => values.get(key(name, labels)),
        });
      });
    }).on('error', reject);
  });
}

const key = (name, labels) =>
  `${name}{${Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;

const ws = (h) => h.url('/ws').replace('http', 'ws');

/**
 * Known traffic on a hub started with `{ metrics: true, rateLimit: 20 }`: returns the clients
 * still open (to close) after every figure it makes has settled. Expected figures: see
 * `expectKnownTraffic`.
 */
export async function knownTraffic(h) {
  const sse = await openSse(h.url('/sse?topic=a&topic=b'));
  await until(() => sse.records().some((r) => r.event === 'cursor'), 15_000, 'sse cursor');
  const cursor = sse.records().find((r) => r.event === 'cursor').id;
  const sub = await openWs(ws(h));
  sub.send({ type: 'subscribe', topics: ['a'] });
  await until(() => sub.of('subscribed').length === 1, 15_000, 'ws subscribed');
  const poll = httpJson(h.url(`/poll?topic=b&since=${cursor}&timeout=20000`));
  await until(() => h.hub.stats().poll === 1, 15_000, 'held poll');
  const held = await scrape(h.url('/metrics'));
  assert.equal(held.value('realtime_hub_connections', { transport: 'poll' }), 1);

  await h.hub.publish('a', 1);
  await h.hub.publish(['a', 'b'], 2);
  const polled = await poll;
  assert.deepEqual(
    polled.body.events.map((e) => [e.topic, e.data]),
    [['b', 2]],
  );
  const post = () =>
    httpJson(h.url('/publish?topic=b'), {
      method: 'POST',
      body: '3',
      headers: { 'Idempotency-Key': 'k-1' },
    });
  const first = await post();
  const again = await post();
  assert.equal(first.status, 200);
  assert.deepEqual(again.body, first.body, 'the repeat answers the original id');

  const publisher = await openWs(ws(h));
  publisher.send({ type: 'publish', topic: 'c', data: 4, ref: 1, msg: 'm-1' });
  publisher.send({ type: 'publish', topic: 'c', data: 4, ref: 2, msg: 'm-1' });
  await until(() => publisher.of('ack').length === 2, 15_000, 'acks');
  assert.equal(publisher.of('ack')[1].duplicate, true);

  await until(
    () => sse.events().length === 4 && sub.of('message').length === 2,
    15_000,
    'deliveries',
  );

  // Three resets, one per transport: cursors that are not this hub's.
  const bad = await openSse(h.url('/sse?topic=a'), { 'Last-Event-ID': 'not-a-cursor' });
  await until(() => bad.records().some((r) => r.event === 'reset'), 15_000, 'sse reset');
  bad.close();
  const badPoll = await httpJson(h.url('/poll?topic=a&since=nope'));
  assert.equal(badPoll.body.reset.reason, 'invalid');
  sub.send({ type: 'subscribe', topics: ['d'], since: 'nope' });
  await until(() => sub.of('reset').length === 1, 15_000, 'ws reset');

  const flood = await openWs(ws(h));
  for (let i = 0; i < 100; i++) flood.send({ type: 'ping' });
  assert.equal((await flood.closed).code, 4429);
  await until(() => h.hub.stats().sse === 1 && h.hub.stats().ws === 2, 15_000, 'settled');
  return [sse, sub, publisher];
}

/** The figures `knownTraffic` makes, exactly. */
export function expectKnownTraffic(m) {
  const expected = [
    ['realtime_hub_connections', { transport: 'sse' }, 1],
    ['realtime_hub_connections', { transport: 'ws' }, 2],
    ['realtime_hub_connections', { transport: 'poll' }, 0],
    // a: 1, then a and b, then b over HTTP: 4 to the SSE stream; a twice to the WebSocket; b once to the poll.
    ['realtime_hub_deliveries_total', { transport: 'sse' }, 4],
    ['realtime_hub_deliveries_total', { transport: 'ws' }, 2],
    ['realtime_hub_deliveries_total', { transport: 'poll' }, 1],
    ['realtime_hub_publishes_total', { source: 'api' }, 3],
    ['realtime_hub_publishes_total', { source: 'http' }, 1],
    ['realtime_hub_publishes_total', { source: 'ws' }, 1],
    ['realtime_hub_publish_duplicates_total', { source: 'api' }, 0],
    ['realtime_hub_publish_duplicates_total', { source: 'http' }, 1],
    ['realtime_hub_publish_duplicates_total', { source: 'ws' }, 1],
    ['realtime_hub_publish_duration_seconds_count', { source: 'api' }, 2],
    ['realtime_hub_publish_duration_seconds_count', { source: 'http' }, 2],
    ['realtime_hub_publish_duration_seconds_count', { source: 'ws' }, 2],
    ['realtime_hub_publish_duration_seconds_bucket', { source: 'api', le: '+Inf' }, 2],
    ['realtime_hub_resets_total', { reason: 'invalid' }, 3],
    ['realtime_hub_resets_total', { reason: 'epoch' }, 0],
    ['realtime_hub_resets_total', { reason: 'too-old' }, 0],
    ['realtime_hub_resets_total', { reason: 'too-many' }, 0],
    ['realtime_hub_rate_limited_total', { transport: 'ws' }, 1],
    ['realtime_hub_slow_consumers_total', { transport: 'sse' }, 0],
    ['realtime_hub_slow_consumers_total', { transport: 'ws' }, 0],
    ['realtime_hub_redis_gap_fills_total', {}, 0],
    ['realtime_hub_store_up', {}, 1],
  ];
  const actual = expected.map(([name, labels]) => [name, labels, m.value(name, labels)]);
  assert.deepEqual(actual, expected, m.text);
  assert.ok(m.value('realtime_hub_publish_duration_seconds_sum', { source: 'api' }) > 0);
}

// Red-team inputs for draining, maxConnectionAge and compression (issue #28): each was a
// failing input first. A drain that catches a stream still starting, ages too short to start,
// option values of the wrong kind, Accept-Encoding variants, a permessage-deflate bomb, and a
// slow HTTP/2 consumer cut without its session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, deflateRawSync } from 'node:zlib';
import { get } from 'node:http';
import WebSocket from 'ws';
import { createHub, MemoryStore } from '../../../dist/server/index.js';
import { openSse, sseRecords, startHub, until } from './hub-helpers.mjs';
import { connectHttp2, startHttp2Hub } from './http2-helpers.mjs';

/** A memory store whose replays wait until `release()`: a stream caught while it starts. */
class GatedStore extends MemoryStore {
  waiting = 0;
  release;
  held = new Promise((resolve) => (this.release = resolve));
  async replay(...args) {
    this.waiting++;
    await this.held;
    return super.replay(...args);
  }
}

test('drain while an SSE stream is still replaying: a 200 stream that ends with retry:, never a 503', async (t) => {
  const store = new GatedStore();
  const h = await startHub({ store });
  t.after(() => h.close());
  const { id } = await h.hub.publish('a', 1);
  await h.hub.publish('a', 2);
  const streamP = openSse(h.url('/sse?topic=a'), { 'last-event-id': id });
  await until(() => store.waiting === 1, 15_000, 'the replay to start');
  const drained = h.hub.drain({ within: 0 });
  // Let the drain tell the stream to go while its replay is still held.
  await new Promise((resolve) => setTimeout(resolve, 60));
  store.release();
  const stream = await streamP;
  assert.equal(stream.status, 200, 'admitted before the drain: not refused as if it were new');
  await drained;
  await until(() => stream.res.complete, 15_000, 'the end of the stream');
  const records = stream.records();
  assert.ok(records.at(-1).retry !== undefined, 'a retry: last, so EventSource reconnects');
  assert.deepEqual(
    stream.events().map((r) => r.data),
    ['2'],
    'the replay was delivered before the end',
  );
});

test('maxConnectionAge rotates only connections that had time to start: under 1 s, NaN, negative, non-numbers are refused', () => {
  for (const bad of [1, 0.5, 999, NaN, -1, -Infinity, '60000', null]) {
    assert.throws(() => createHub({ maxConnectionAge: bad }), RangeError, String(bad));
  }
  for (const fine of [0, 1000, 30 * 60_000, Infinity])
    createHub({ maxConnectionAge: fine }).close();
});

test('compression: null, false and undefined are off; a string or number is a TypeError', async (t) => {
  for (const bad of ['gzip', 1, 0]) {
    assert.throws(() => createHub({ compression: bad }), TypeError, String(bad));
  }
  const h = await startHub({ compression: null });
  t.after(() => h.close());
  const stream = await openSse(h.url('/sse?topic=a'), { 'accept-encoding': 'gzip' });
  assert.equal(stream.headers['content-encoding'], undefined);
  stream.close();
});

/** The raw bytes of an SSE response until `ended` says so. */
function rawSse(url, headers) {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent: false }, (res) => {
      const chunks = [];
      const r = { res, req, headers: res.headers, bytes: () => Buffer.concat(chunks) };
      res.on('data', (c) => chunks.push(c));
      res.on('error', () => {});
      resolve(r);
    });
    req.on('error', reject);
  });
}

test('gzip follows Accept-Encoding as RFC 9110 § 12.5.3 reads it', async (t) => {
  const h = await startHub({ compression: { threshold: 0 } });
  t.after(() => h.close());
  const cases = {
    gzip: true,
    GZIP: true,
    'gzip;q=0': false,
    'gzip; q=0.000': false,
    'gzip;q=0.5': true,
    identity: false,
    '*': true,
    '*;q=0': false,
    'gzip;q=0, *': false,
    'br, *;q=0.1': true,
    'deflate, br': false,
    ';;;,,,': false,
    'gzip;q=nonsense': false,
    'x-gzip': true,
    '': false,
  };
  for (const [header, gzip] of Object.entries(cases)) {
    const stream = await rawSse(h.url('/sse?topic=a'), { 'accept-encoding': header });
    assert.equal(stream.headers['content-encoding'], gzip ? 'gzip' : undefined, header);
    stream.req.destroy();
  }
});

test('gzip + Last-Event-ID replay of 500 events (threshold 0): every event, in order, as one valid gzip member', async (t) => {
  const h = await startHub({ compression: { threshold: 0 }, maxReplay: 5000 });
  t.after(() => h.close());
  const first = await h.hub.publish('a', 'start');
  for (let i = 0; i < 500; i++) await h.hub.publish('a', { i, pad: 'x'.repeat(i % 300) });
  const stream = await rawSse(h.url('/sse?topic=a'), {
    'accept-encoding': 'gzip',
    'last-event-id': first.id,
  });
  assert.equal(stream.headers['content-encoding'], 'gzip');
  // drain ends the stream: the gzip member is then complete (trailer with CRC and length).
  await h.hub.drain({ within: 0 }).catch(() => {});
  await until(() => stream.res.complete || stream.res.destroyed, 15_000, 'the end');
  const text = gunzipSync(stream.bytes()).toString();
  const data = sseRecords(text)
    .filter((r) => r.event === 'a')
    .map((r) => JSON.parse(r.data).i);
  assert.deepEqual(
    data,
    Array.from({ length: 500 }, (_, i) => i),
  );
});

test('permessage-deflate: a compressed frame that inflates past maxPayload is closed with 1009; the hub serves on', async (t) => {
  const h = await startHub({ compression: true, maxPayload: 64 * 1024 });
  t.after(() => h.close());
  const url = h.url('/ws').replace('http', 'ws');
  const bomb = new WebSocket(url, { perMessageDeflate: true });
  bomb.on('error', () => {});
  await new Promise((resolve) => bomb.once('open', resolve));
  assert.ok(bomb.extensions.includes('permessage-deflate'), bomb.extensions);
  const closed = new Promise((resolve) => bomb.once('close', (code) => resolve(code)));
  // 64 MiB of zeros: about 64 KiB on the wire.
  const huge = JSON.stringify({ type: 'publish', topic: 'a', data: '0'.repeat(64 << 20) });
  assert.ok(deflateRawSync(huge).length < 200_000);
  bomb.send(huge, { compress: true });
  assert.equal(await closed, 1009);
  const other = await openSse(h.url('/sse?topic=a'));
  await until(() => other.records().some((r) => r.event === 'cursor'));
  await h.hub.publish('a', 'still');
  await until(() => other.events().length === 1);
  other.close();
});

test('drain then hub.close at once, with a client that never reads: both settle, within + the 2 s cut', async (t) => {
  const h = await startHub({ maxBufferedBytes: 8 << 20 });
  t.after(() => h.close());
  const slow = await openSse(h.url('/sse?topic=a'));
  slow.res.pause();
  slow.res.socket.pause();
  await until(() => h.hub.stats().sse === 1);
  for (let i = 0; i < 40; i++) await h.hub.publish('a', 'y'.repeat(60 * 1024));
  const started = performance.now();
  const drained = h.hub.drain({ within: 100 });
  await Promise.all([drained, h.hub.close()]);
  assert.ok(performance.now() - started < 10_000, `settled in ${performance.now() - started} ms`);
  assert.deepEqual(h.hub.stats(), { sse: 0, ws: 0, poll: 0 });
});

test('HTTP/2: a stream that reads nothing is cut alone after the drain; the other streams of its session end whole', async (t) => {
  const h = await startHttp2Hub({ maxBufferedBytes: 8 << 20, retry: 1000 });
  t.after(() => h.close());
  const client = connectHttp2(h.origin, h.cert);
  t.after(() => client.session.destroy());
  const slow = await client.sse(h.path('/sse?topic=a'));
  slow.stream.pause();
  const reader = await client.sse(h.path('/sse?topic=b'));
  await until(() => h.hub.stats().sse === 2);
  await until(() => reader.records().some((r) => r.event === 'cursor'));
  for (let i = 0; i < 40; i++) await h.hub.publish('a', 'z'.repeat(32 * 1024));
  const { id } = await h.hub.publish('b', 'last');
  await h.hub.drain({ within: 0 });
  assert.equal(h.hub.stats().sse, 0);
  await until(() => reader.closed, 15_000, 'the reading stream to end');
  assert.equal(reader.events().at(-1).id, id);
  assert.ok(reader.records().at(-1).retry !== undefined, 'ended with retry:, not cut');
  assert.equal(h.sessions().total, 1);
});

test('HTTP/2: a moved stream GOAWAYs its session, so the client’s next request opens a new connection (to another process), not the draining one', async (t) => {
  const h = await startHttp2Hub();
  t.after(() => h.close());
  const client = connectHttp2(h.origin, h.cert);
  t.after(() => client.session.destroy());
  const goaway = new Promise((resolve) => client.session.once('goaway', () => resolve(true)));
  const live = await client.sse(h.path('/sse?topic=a'));
  await until(() => live.records().some((r) => r.event === 'cursor'));
  await h.hub.drain({ within: 0 });
  assert.equal(await goaway, true);
  await until(() => live.closed, 15_000, 'the stream to end');
  assert.ok(live.records().at(-1).retry !== undefined, 'ended with retry:');
});

test('HTTP/2: while draining, a 503 (and a held long-poll answered) GOAWAYs its session, with no Connection header', async (t) => {
  const h = await startHttp2Hub();
  t.after(() => h.close());
  const warnings = [];
  const onWarning = (w) => warnings.push(w.name);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const drained = h.hub.drain({ within: 100 });
  const client = connectHttp2(h.origin, h.cert);
  t.after(() => client.session.destroy());
  const goaway = new Promise((resolve) => client.session.once('goaway', () => resolve(true)));
  const answer = await client.request({ ':path': h.path('/sse?topic=a') });
  assert.equal(answer.status, 503);
  assert.equal(answer.headers.connection, undefined);
  assert.equal(await goaway, true);
  await drained;
  assert.ok(!warnings.includes('UnsupportedWarning'), warnings.join());
});

// hub.drain and maxConnectionAge on one hub, one transport at a time: how each connection is
// moved (SSE `retry:` then the end, WebSocket 1001, a held long-poll answered), refusals while
// draining, and the edges (a client that reads nothing, a second call, bad input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHub } from '../../../dist/server/index.js';
import { connect } from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { httpJson, openSse, openWs, startHub, until } from './hub-helpers.mjs';

test('drain: an SSE stream ends after a short retry and its connection closes; the cursor resumes', async (t) => {
  const h = await startHub({ retry: 2000 });
  t.after(() => h.close());
  const stream = await openSse(h.url('/sse?topic=a'));
  await until(() => stream.records().some((r) => r.event === 'cursor'));
  const { id } = await h.hub.publish('a', 1);
  await until(() => stream.events().length === 1);
  const socketClosed = once(stream.res.socket, 'close');
  await h.hub.drain({ within: 0 });
  await socketClosed;
  const last = stream.records().at(-1);
  assert.ok(last.retry !== undefined, 'a retry: field last');
  assert.ok(Number(last.retry) >= 0 && Number(last.retry) <= 1000, `retry ${last.retry}`);
  assert.ok(!stream.records().some((r) => r.event?.startsWith('$')), 'no control event');
  assert.equal(stream.events().at(-1).id, id);
  assert.equal(h.hub.stats().sse, 0);
});

test('drain: a WebSocket closes with 1001, a held long-poll is answered with Connection: close', async (t) => {
  const h = await startHub();
  t.after(() => h.close());
  const ws = await openWs(h.url('/ws').replace('http', 'ws'));
  ws.send({ type: 'subscribe', topic: 'a' });
  await until(() => ws.of('subscribed').length);
  const { body: first } = await httpJson(h.url('/poll?topic=a'));
  const held = httpJson(h.url(`/poll?topic=a&since=${first.cursor}`));
  await until(() => h.hub.stats().poll === 1);
  const drained = h.hub.drain({ within: 200 });
  assert.deepEqual(await ws.closed, { code: 1001, reason: 'going away' });
  const answer = await held;
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.connection, 'close');
  assert.deepEqual(answer.body, { events: [], cursor: first.cursor });
  await drained;
  assert.deepEqual(h.hub.stats(), { sse: 0, ws: 0, poll: 0 });
});

test('while draining: /health, SSE, poll and WebSocket upgrades get 503 + Retry-After; publishes are served', async (t) => {
  const h = await startHub();
  t.after(() => h.close());
  const keep = await openSse(h.url('/sse?topic=a'));
  const drained = h.hub.drain({ within: 60_000 });
  for (const path of ['/health', '/sse?topic=a', '/poll?topic=a']) {
    const { status, headers, body } = await httpJson(h.url(path));
    assert.equal(status, 503, path);
    assert.equal(headers['retry-after'], '1', path);
    assert.equal(headers.connection, 'close', path);
    assert.equal(body.error, 'draining', path);
  }
  const ws = new WebSocket(h.url('/ws').replace('http', 'ws'));
  const [, res] = await once(ws, 'unexpected-response');
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['retry-after'], '1');
  ws.on('error', () => {});
  res.destroy();
  const published = await httpJson(h.url('/publish?topic=a'), { method: 'POST', body: 1 });
  assert.equal(published.status, 200);
  assert.equal(published.headers.connection, 'close');
  await until(() => keep.events().length === 1);
  // A second call can bring the end forward.
  await h.hub.drain({ within: 0 });
  await drained;
});

test('drain spreads its closes over within, and settles once all are closed', async (t) => {
  const h = await startHub();
  t.after(() => h.close());
  const streams = [];
  for (let i = 0; i < 40; i++) streams.push(await openSse(h.url('/sse?topic=a')));
  const ended = [];
  for (const stream of streams) stream.res.on('end', () => ended.push(performance.now()));
  const start = performance.now();
  await h.hub.drain({ within: 1000 });
  const took = performance.now() - start;
  assert.equal(ended.length, 40);
  ended.sort((x, y) => x - y);
  // Not in one burst: the first half ended well before the second half.
  assert.ok(ended[30] - ended[9] >= 300, `ended over ${Math.round(ended[39] - ended[0])} ms`);
  assert.ok(took >= 800, `settled after ${Math.round(took)} ms`);
});

test('drain cuts a client that reads nothing once the grace is over', async (t) => {
  const h = await startHub({ maxBufferedBytes: 64 << 20 });
  t.after(() => h.close());
  // A raw socket that sends the request and never reads: its stream cannot finish.
  const socket = connect(Number(new URL(h.origin).port), '127.0.0.1');
  socket.on('error', () => {});
  socket.write(`GET /realtime/sse?topic=big HTTP/1.1\r\nHost: x\r\n\r\n`);
  socket.pause();
  await until(() => h.hub.stats().sse === 1);
  for (let i = 0; i < 200; i++) await h.hub.publish('big', 'x'.repeat(60_000));
  const start = performance.now();
  await h.hub.drain({ within: 0 });
  const took = performance.now() - start;
  // Its stream could not finish: cut after the 2 s grace, not waited for.
  assert.ok(took >= 1900 && took < 10_000, `settled after ${Math.round(took)} ms`);
  assert.equal(h.hub.stats().sse, 0);
});

test('drain with a bad within rejects with a RangeError and starts nothing', async (t) => {
  const h = await startHub();
  t.after(() => h.close());
  for (const within of [-1, Number.NaN, Infinity, '5']) {
    await assert.rejects(h.hub.drain({ within }), RangeError);
  }
  assert.equal((await httpJson(h.url('/health'))).status, 200);
});

test('maxConnectionAge rotates SSE streams and WebSockets (±10 %), not long-polls', async (t) => {
  const h = await startHub({ maxConnectionAge: 1000, retry: 100 });
  t.after(() => h.close());
  const start = performance.now();
  const stream = await openSse(h.url('/sse?topic=a'));
  const ws = await openWs(h.url('/ws').replace('http', 'ws'));
  const ended = new Promise((resolve) => stream.res.on('end', resolve));
  await ended;
  const sseAge = performance.now() - start;
  assert.deepEqual(await ws.closed, { code: 1001, reason: 'going away' });
  assert.ok(sseAge >= 890 && sseAge < 6000, `rotated after ${Math.round(sseAge)} ms`);
  assert.ok(stream.records().at(-1).retry !== undefined);
  // The hub still admits new connections: a rotation is not a drain.
  const again = await openSse(h.url('/sse?topic=a'));
  assert.equal(again.status, 200);
  again.close();
  const { body: first } = await httpJson(h.url('/poll?topic=a'));
  const poll = await httpJson(h.url(`/poll?topic=a&since=${first.cursor}&timeout=1000`));
  assert.equal(poll.status, 200);
});

test('maxConnectionAge must be 0 or a number of ms ≥ 1000', () => {
  assert.throws(() => createHub({ maxConnectionAge: -1 }), RangeError);
});

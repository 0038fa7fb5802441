// Opt-in compression: gzip SSE streams (negotiated by Accept-Encoding, each event decodable the
// moment it arrives) and WebSocket permessage-deflate through ws, both with a size threshold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { once } from 'node:events';
import { createGunzip, gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { createHub } from '../../../dist/server/index.js';
import { startHub, until } from './hub-helpers.mjs';

/** A raw SSE request: the bytes as they came (`raw`) and decoded as they came (`text`). */
function openRaw(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent: false }, (res) => {
      const stream = { res, raw: [], text: '', ended: false };
      res.on('data', (chunk) => stream.raw.push(chunk));
      const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
      body.setEncoding('utf8');
      body.on('data', (chunk) => (stream.text += chunk));
      body.on('end', () => (stream.ended = true));
      body.on('error', (error) => (stream.error = error));
      stream.close = () => req.destroy();
      resolve(stream);
    });
    req.on('error', reject);
  });
}

const big = (n) => ({
  rows: Array.from({ length: n }, (_, i) => ({ id: i, name: `row ${i}`, ok: true })),
});

test('SSE gzip is negotiated by Accept-Encoding (q-values, *), and only when opted in', async (t) => {
  const on = await startHub({ compression: true });
  const off = await startHub();
  t.after(() => Promise.all([on.close(), off.close()]));
  const cases = [
    [on, 'gzip, deflate, br', 'gzip'],
    [on, 'br;q=1, gzip;q=0.5', 'gzip'],
    [on, 'gzip;q=0', undefined],
    [on, '*', 'gzip'],
    [on, '*, gzip;q=0', undefined],
    [on, 'br', undefined],
    [on, undefined, undefined],
    [off, 'gzip', undefined],
  ];
  for (const [h, accept, expected] of cases) {
    const stream = await openRaw(
      h.url('/sse?topic=a'),
      accept ? { 'accept-encoding': accept } : {},
    );
    assert.equal(stream.res.headers['content-encoding'], expected, `Accept-Encoding: ${accept}`);
    if (expected) assert.match(stream.res.headers.vary, /Accept-Encoding/);
    await until(() => stream.text.includes('event: cursor'), 5000, `cursor (${accept})`);
    stream.close();
  }
});

test('each gzip event is decoded as soon as it arrives, big ones compressed once for every stream', async (t) => {
  const h = await startHub({ compression: { threshold: 256 } });
  t.after(() => h.close());
  const streams = await Promise.all(
    [1, 2, 3].map(() => openRaw(h.url('/sse?topic=a'), { 'accept-encoding': 'gzip' })),
  );
  await until(() => streams.every((s) => s.text.includes('event: cursor')));
  // One event at a time: the next is published only once the last is out of the decompressor,
  // so nothing can be waiting for later bytes.
  const sent = [];
  for (const data of [big(200), { small: 1 }, big(50), 'tiny', big(300)]) {
    const { id } = await h.hub.publish('a', data);
    sent.push({ id, data });
    await until(
      () => streams.every((s) => s.text.includes(`id: ${id}\n`)),
      5000,
      `event ${id} decoded on every stream`,
    );
  }
  const bytes = streams[0].raw.reduce((sum, chunk) => sum + chunk.length, 0);
  const plain = Buffer.byteLength(streams[0].text);
  assert.ok(bytes < plain / 3, `${bytes} bytes on the wire for ${plain} of text`);
  // A small frame goes as a stored block: its text is on the wire as it is.
  assert.ok(Buffer.concat(streams[0].raw).includes(`data: {"small":1}`));
  await h.hub.drain({ within: 0 });
  for (const stream of streams) {
    await until(() => stream.ended, 5000, 'end');
    assert.equal(stream.error, undefined);
    // A whole, valid gzip member (CRC-32 and length checked).
    assert.equal(gunzipSync(Buffer.concat(stream.raw)).toString(), stream.text);
    for (const { id, data } of sent) {
      assert.ok(stream.text.includes(`id: ${id}\nevent: a\ndata: ${JSON.stringify(data)}\n\n`));
    }
  }
});

test('a gzip stream replays from Last-Event-ID and carries keep-alives', async (t) => {
  const h = await startHub({ compression: { threshold: 0 }, keepAliveInterval: 100 });
  t.after(() => h.close());
  const { id } = await h.hub.publish('a', big(20));
  await h.hub.publish('a', big(30));
  const stream = await openRaw(h.url('/sse?topic=a'), {
    'accept-encoding': 'gzip',
    'last-event-id': id,
  });
  await until(() => stream.text.includes(': keep-alive'), 5000, 'a keep-alive');
  assert.ok(!stream.text.includes(`id: ${id}\n`));
  assert.ok(stream.text.includes(JSON.stringify(big(30))));
  stream.close();
});

test('WebSocket permessage-deflate: negotiated when offered and opted in; messages from threshold up compressed', async (t) => {
  const on = await startHub({ compression: { threshold: 1024 } });
  const off = await startHub();
  t.after(() => Promise.all([on.close(), off.close()]));
  const open = async (h, perMessageDeflate) => {
    const socket = new WebSocket(h.url('/ws').replace('http', 'ws'), { perMessageDeflate });
    // 'open' follows 'upgrade' in the same turn: both are awaited from the start.
    const [[res]] = await Promise.all([once(socket, 'upgrade'), once(socket, 'open')]);
    return { socket, extensions: res.headers['sec-websocket-extensions'] };
  };
  assert.match((await open(on, true)).extensions, /^permessage-deflate/);
  assert.equal((await open(on, false)).extensions, undefined);
  assert.equal((await open(off, true)).extensions, undefined);

  const { socket } = await open(on, true);
  const frames = [];
  socket.on('message', (raw) => frames.push(JSON.parse(raw)));
  socket.send(JSON.stringify({ type: 'subscribe', topic: 'a' }));
  await until(() => frames.some((f) => f.type === 'subscribed'));
  const bytesFor = async (data) => {
    const before = socket._socket.bytesRead;
    const { id } = await on.hub.publish('a', data);
    await until(() => frames.some((f) => f.id === id));
    return socket._socket.bytesRead - before;
  };
  const large = big(300);
  const largeBytes = await bytesFor(large);
  assert.ok(largeBytes < JSON.stringify(large).length / 4, `${largeBytes} bytes on the wire`);
  const small = 'x'.repeat(500);
  assert.ok((await bytesFor(small)) > small.length, 'under the threshold: sent as it is');
  assert.deepEqual(frames.find((f) => f.type === 'message').data, large);
  socket.close();
});

test('bad compression options are refused at createHub', () => {
  assert.throws(() => createHub({ compression: { threshold: -1 } }), RangeError);
  assert.throws(() => createHub({ compression: { threshold: 1.5 } }), RangeError);
  assert.throws(() => createHub({ compression: { level: 0 } }), RangeError);
  assert.throws(() => createHub({ compression: { level: 10 } }), RangeError);
});

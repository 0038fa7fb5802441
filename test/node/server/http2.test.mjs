// The hub through `node:http2` with TLS (`http2.createSecureServer({ allowHTTP1: true })`): SSE,
// long-poll and publish over HTTP/2 streams, the origin check on `:authority` (HTTP/2 has no
// `Host`), no connection-specific headers on HTTP/2 responses, many streams on one connection,
// and HTTP/1.1 (WebSocket too) on the same server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import http2 from 'node:http2';
import { once } from 'node:events';
import WebSocket from 'ws';
import { createHub } from '../../../dist/server/index.js';
import { until } from './hub-helpers.mjs';
import { connectHttp2, startHttp2Hub } from './http2-helpers.mjs';

describe('hub over HTTP/2 (TLS)', () => {
  let h;
  let client;
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning);
  before(async () => {
    process.on('warning', onWarning);
    h = await startHttp2Hub({ keepAliveInterval: 100, retry: 1000, maxPayload: 1024 });
    client = connectHttp2(h.origin, h.cert);
  });
  after(async () => {
    process.off('warning', onWarning);
    await client.close();
    await h.close();
  });

  test("the origin check reads :authority: the hub's own origin is allowed, another refused", async () => {
    const own = await client.request({
      ':path': h.path('/poll?topic=o&timeout=0'),
      origin: h.origin,
    });
    assert.equal(own.status, 200, own.text);
    // The same host under its other name is another origin (RFC 6454): refused, readable.
    const other = await client.request({
      ':path': h.path('/poll?topic=o&timeout=0'),
      origin: 'https://evil.example',
    });
    assert.equal(other.status, 403);
    assert.equal(JSON.parse(other.text).error, 'forbidden-origin');
    assert.equal(other.headers['access-control-allow-origin'], 'https://evil.example');
    // A default port spelled out in :authority still matches the Origin without it.
    const port = new URL(h.origin).port;
    const spelled = connectHttp2(h.origin, h.cert);
    try {
      const answer = await spelled.request({
        ':path': h.path('/poll?topic=o&timeout=0'),
        ':authority': `127.0.0.1:${port}`,
        origin: `https://127.0.0.1:${port}`,
      });
      assert.equal(answer.status, 200);
    } finally {
      await spelled.close();
    }
  });

  test('SSE over HTTP/2: SSE headers without Connection, live events, Last-Event-ID replay', async () => {
    const live = await client.sse(h.path('/sse?topic=s'), { origin: h.origin });
    assert.equal(live.status, 200);
    assert.match(live.headers['content-type'], /^text\/event-stream/);
    assert.equal(live.headers['access-control-allow-origin'], h.origin);
    for (const name of ['connection', 'keep-alive', 'transfer-encoding']) {
      assert.equal(live.headers[name], undefined, name);
    }
    const cursor = await until(() => live.records().find((r) => r.event === 'cursor')?.id);
    for (let i = 0; i < 3; i++) await h.hub.publish('s', i);
    await until(() => live.events().length === 3, 30_000, 'live events over HTTP/2');
    await until(() => live.records().some((r) => r.comments.includes('keep-alive')));
    const replay = await client.sse(h.path('/sse?topic=s'), { 'last-event-id': cursor });
    await until(() => replay.events().length === 3, 30_000, 'the replay over HTTP/2');
    assert.deepEqual(
      replay.events().map((r) => JSON.parse(r.data)),
      [0, 1, 2],
    );
    live.close();
    replay.close();
    await until(() => h.hub.stats().sse === 0, 30_000, 'closed streams released');
  });

  test('long-poll over HTTP/2: a held poll is answered by a publish', async () => {
    const first = await client.request({ ':path': h.path('/poll?topic=p'), origin: h.origin });
    const { cursor } = JSON.parse(first.text);
    const held = client.request({
      ':path': h.path(`/poll?topic=p&since=${cursor}`),
      origin: h.origin,
    });
    await until(() => h.hub.stats().poll === 1, 30_000, 'the held poll');
    await h.hub.publish('p', { n: 1 });
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.deepEqual(
      JSON.parse(answer.text).events.map((e) => e.data),
      [{ n: 1 }],
    );
    // A poll whose stream the client cancels is released (no ghost poll).
    const since = JSON.parse(answer.text).cursor;
    const cancelled = client.session.request({ ':path': h.path(`/poll?topic=p&since=${since}`) });
    cancelled.on('error', () => {});
    cancelled.end();
    await until(() => h.hub.stats().poll === 1, 30_000, 'the second held poll');
    cancelled.close(0x8);
    await until(() => h.hub.stats().poll === 0, 30_000, 'the cancelled poll released');
  });

  test('publish over HTTP/2: stored and delivered; a too-large body resets only its stream', async () => {
    const live = await client.sse(h.path('/sse?topic=pub'));
    await until(() => live.records().some((r) => r.event === 'cursor'));
    const ok = await client.request(
      {
        ':method': 'POST',
        ':path': h.path('/publish?topic=pub'),
        origin: h.origin,
        'content-type': 'application/json',
      },
      JSON.stringify({ hello: 'h2' }),
    );
    assert.equal(ok.status, 200, ok.text);
    assert.match(JSON.parse(ok.text).id, /-\d+$/);
    const refused = await client.request(
      {
        ':method': 'POST',
        ':path': h.path('/publish?topic=pub'),
        origin: 'https://evil.example',
      },
      '1',
    );
    assert.equal(refused.status, 403);
    const big = await client.request(
      { ':method': 'POST', ':path': h.path('/publish?topic=pub') },
      JSON.stringify('x'.repeat(4096)),
    );
    assert.equal(big.status, 413);
    assert.equal(big.headers.connection, undefined);
    assert.equal(JSON.parse(big.text).error, 'too-large');
    // The session and the other stream on it go on.
    const after = await client.request(
      { ':method': 'POST', ':path': h.path('/publish?topic=pub') },
      '2',
    );
    assert.equal(after.status, 200);
    await until(() => live.events().length === 2, 30_000, 'both publishes on the open stream');
    assert.deepEqual(
      live.events().map((r) => JSON.parse(r.data)),
      [{ hello: 'h2' }, 2],
    );
    assert.equal(h.sessions().total, 2, 'one HTTP/2 session per client connection');
    live.close();
  });

  test('twenty SSE streams on one HTTP/2 connection each get every event; closing them frees all', async () => {
    const one = connectHttp2(h.origin, h.cert);
    try {
      const streams = [];
      for (let i = 0; i < 20; i++) {
        streams.push(await one.sse(h.path(`/sse?topic=many&topic=own-${i}`), { origin: h.origin }));
      }
      await until(() => h.hub.stats().sse === 20, 30_000, 'twenty streams');
      await h.hub.publish('many', 'all');
      for (let i = 0; i < 20; i++) await h.hub.publish(`own-${i}`, i);
      await until(
        () => streams.every((s) => s.events().length === 2),
        30_000,
        'every stream got its events',
      );
      streams.forEach((s, i) =>
        assert.deepEqual(
          s.events().map((r) => JSON.parse(r.data)),
          ['all', i],
        ),
      );
      // Closing the whole connection (not each stream) releases every subscriber of it.
      one.session.destroy();
      await until(() => h.hub.stats().sse === 0, 30_000, 'streams released with the session');
    } finally {
      one.session.destroy();
    }
  });

  test('HTTP/1.1 on the same TLS server: SSE and a WebSocket upgrade', async () => {
    const text = await new Promise((resolve, reject) => {
      const req = httpsRequest(
        h.url('/poll?topic=h1&timeout=0'),
        { ca: h.cert, headers: { origin: h.origin }, agent: false },
        (res) => {
          assert.equal(res.httpVersion, '1.1');
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.ok(JSON.parse(text).cursor);
    const socket = new WebSocket(h.url('/ws').replace('https:', 'wss:'), {
      ca: h.cert,
      headers: { origin: h.origin },
    });
    const frames = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'subscribe', topics: ['ws'] }));
    await until(() => frames.some((f) => f.type === 'subscribed' || f.type === 'cursor'));
    await h.hub.publish('ws', 'over h1');
    await until(() => frames.some((f) => f.type === 'message' && f.data === 'over h1'));
    socket.close();
  });

  test('no UnsupportedWarning (connection headers) was raised by any HTTP/2 response', () => {
    assert.deepEqual(
      warnings.map((w) => `${w.name}: ${w.message}`),
      [],
    );
  });
});

describe('hub over HTTP/2: a slow stream among others on one connection', () => {
  test('a stream that stops reading is cut off alone (RST_STREAM); its siblings keep every event', async () => {
    const h = await startHttp2Hub({ maxBufferedBytes: 64 * 1024, keepAliveInterval: 60_000 });
    const client = connectHttp2(h.origin, h.cert);
    try {
      const slow = await client.sse(h.path('/sse?topic=flood'));
      const fast = await client.sse(h.path('/sse?topic=flood'));
      await until(
        () => [slow, fast].every((s) => s.records().some((r) => r.event === 'cursor')),
        30_000,
        'both streams open',
      );
      slow.stream.pause();
      const chunk = 'x'.repeat(8 * 1024);
      let n = 0;
      // Until the hub gives up on the stream that does not read (flow control holds its bytes).
      await until(
        async () => {
          await h.hub.publish('flood', { n: n++, chunk });
          return h.hub.stats().sse === 1;
        },
        60_000,
        'the slow stream cut off',
      );
      await h.hub.publish('flood', { n: n++, end: true });
      await until(
        () => fast.events().length === n,
        60_000,
        `the reading stream got all ${n} events`,
      );
      assert.deepEqual(
        fast.events().map((r) => JSON.parse(r.data).n),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.equal(client.session.destroyed, false, 'the connection itself goes on');
      assert.equal(h.sessions().total, 1);
    } finally {
      client.session.destroy();
      await h.close();
    }
  });
});

describe('hub over HTTP/2: a stream cancelled while the hub is still deciding', () => {
  test('RST_STREAM during an async authorize leaves no ghost subscriber; the session goes on', async () => {
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    let asked = 0;
    const h = await startHttp2Hub({
      authorize: async () => {
        asked++;
        await gate;
        return true;
      },
    });
    const client = connectHttp2(h.origin, h.cert);
    try {
      for (const path of ['/sse?topic=ghost', '/poll?topic=ghost&since=x-0']) {
        const stream = client.session.request({ ':path': h.path(path) });
        stream.on('error', () => {});
        stream.end();
      }
      await until(() => asked === 2, 30_000, 'both requests in authorize');
      // The connection goes (every stream on it is cancelled), then authorize answers.
      client.session.destroy();
      await until(() => h.sessions().open === 0, 30_000, 'the session gone');
      release();
      // A sentinel request on a new connection: once it is answered, the cancelled ones have
      // been decided too (authorize resolved for all at once).
      const again = connectHttp2(h.origin, h.cert);
      const sentinel = await again.request({ ':path': h.path('/poll?topic=ghost&timeout=0') });
      assert.equal(sentinel.status, 200);
      await until(
        () => h.hub.stats().sse === 0 && h.hub.stats().poll === 0,
        5000,
        `no ghost: ${JSON.stringify(h.hub.stats())}`,
      );
      await again.close();
    } finally {
      client.session.destroy();
      await h.close();
    }
  });
});

describe('hub over cleartext HTTP/2 (h2c, as a proxy in front may speak it)', () => {
  test('SSE and a publish with Origin over h2c', async () => {
    const hub = createHub();
    const server = http2.createServer((req, res) => {
      if (!hub.handleRequest(req, res)) res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const origin = `http://127.0.0.1:${server.address().port}`;
    const client = connectHttp2(origin);
    try {
      const stream = await client.sse('/realtime/sse?topic=h2c', { origin });
      assert.equal(stream.status, 200);
      await until(() => stream.records().some((r) => r.event === 'cursor'));
      const published = await client.request(
        { ':method': 'POST', ':path': '/realtime/publish?topic=h2c', origin },
        '"clear"',
      );
      assert.equal(published.status, 200, published.text);
      await until(() => stream.events().length === 1, 30_000, 'the event over h2c');
      assert.equal(JSON.parse(stream.events()[0].data), 'clear');
    } finally {
      client.session.destroy();
      await hub.close();
      server.close();
    }
  });
});

/**
 * A server that misbehaves on demand, for `<sse-feed>` fault tests. Mounted at /sse-test/ in
 * the test runner (same origin), and served again on a second origin (`http://127.0.0.1:<port>`,
 * the `sse-test-origin` command gives it) that behaves like an ordinary server written for
 * `EventSource`: `Access-Control-Allow-Origin` on every answer and `405` to every `OPTIONS`
 * (it never expects a preflight). `?key=` groups the requests of one test; the
 * `sse-test-requests` command returns what the server saw for a key.
 */
import { createServer } from 'node:http';

const requests = new Map();

/** The Last-Event-ID header's bytes (Node reads header bytes as Latin-1) read as UTF-8. */
const headerId = (req) =>
  req.headers['last-event-id'] === undefined
    ? null
    : Buffer.from(req.headers['last-event-id'], 'latin1').toString('utf8');

const streamHeaders = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' };

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}

/** `scenario` → a handler; `n` is the request's number (1-based) within its key. */
/**
 * EventSource's own reconnect after 100 ms instead of its default (3 s in Chromium, 5 s in
 * Firefox): longer than the tests' retry-min, so it is never taken for a hurried one.
 */
const quickRetry = 'retry: 100\n\n';
/**
 * How long a scenario that does not replay waits after writing before it drops the connection,
 * in ms: a browser discards data it has not yet handed to the page when the connection fails.
 */
const DROP_AFTER = 500;

const scenarios = {
  // Numbered events; the stream ends after `count` (default: stays open).
  events(req, res, { url }) {
    res.writeHead(200, streamHeaders);
    res.write(': open\n\n');
    const from = Number(req.headers['last-event-id'] || 0);
    const count = Number(url.searchParams.get('count') ?? 3);
    for (let i = from + 1; i <= count; i++)
      res.write(`id: ${i}\nevent: ${i % 2 ? 'odd' : 'even'}\ndata: ${i}\n\n`);
    if (url.searchParams.has('end')) res.end();
  },
  // One full event, half of the next, then the connection drops.
  'drop-mid-event'(req, res, { n }) {
    res.writeHead(200, streamHeaders);
    if (n === 1) {
      res.write('id: 1\ndata: one\n\nid: 2\ndata: par');
      // Time for the chunk to reach the page: a browser drops what it has not handed over when
      // the connection fails (Chromium did at 50 ms, on a loaded machine).
      setTimeout(() => res.socket.destroy(), DROP_AFTER);
    } else {
      // A replaying server: what came after the client's cursor. When the connection fails, a
      // browser drops what it had not yet handed to the page (Chromium did, at load 11, for the
      // whole first chunk): the cursor is then unset, and "one" comes again.
      if (!req.headers['last-event-id']) res.write('id: 1\ndata: one\n\n');
      res.write('id: 2\ndata: two\n\n');
    }
  },
  status(req, res, { url, n }) {
    const statuses = url.searchParams.get('status').split(',');
    const status = Number(statuses[Math.min(n, statuses.length) - 1]);
    if (status === 200) {
      res.writeHead(200, streamHeaders);
      res.write(`data: hello after ${n}\n\n`);
      return;
    }
    const headers = { 'Content-Type': 'text/plain' };
    if (url.searchParams.has('retry-after'))
      headers['Retry-After'] = url.searchParams.get('retry-after');
    res.writeHead(status, headers);
    res.end(`status ${status}`);
  },
  html(req, res) {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><p>a login page</p>');
  },
  // The first `hang` requests (default 1) are accepted and never answered: no status, no headers.
  'no-answer'(req, res, { url, n }) {
    if (n <= Number(url.searchParams.get('hang') ?? 1)) return;
    res.writeHead(200, streamHeaders);
    res.write(`data: answered ${n}\n\n`);
  },
  silent(req, res, { n }) {
    res.writeHead(200, streamHeaders);
    res.write(`data: connection ${n}\n\n`);
  },
  comments(req, res) {
    res.writeHead(200, streamHeaders);
    res.write('data: first\n\n');
    const timer = setInterval(() => res.write(': still here\n\n'), 40);
    res.on('close', () => clearInterval(timer));
  },
  big(req, res) {
    res.writeHead(200, streamHeaders);
    res.write(`id: big\ndata: ${'x'.repeat(1 << 20)}\n\n`);
  },
  async bytes(req, res) {
    res.writeHead(200, streamHeaders);
    res.socket.setNoDelay(true);
    const text =
      'retry: 100\nid: a\nevent: unicode\ndata: ünïcödé 😀\r\n\r\nid: b\rdata: two\rdata: lines\r\r';
    for (const byte of Buffer.from(text)) {
      if (res.destroyed) return;
      res.write(Buffer.of(byte));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  },
  bad(req, res) {
    res.writeHead(200, streamHeaders);
    res.write('data: {not json\n\ndata: {"ok":true}\n\n');
  },
  // Ids 1..count; where to start comes only from the Last-Event-ID header (the query is not
  // read, as in a server written for EventSource). `cut`: events per connection before it
  // drops; `retry`: a retry line first; `type`: the events' type.
  numbered(req, res, { url }) {
    res.writeHead(200, streamHeaders);
    const from = Number(headerId(req) || 0);
    const count = Number(url.searchParams.get('count') ?? 10);
    const cut = Number(url.searchParams.get('cut') ?? Infinity);
    const type = url.searchParams.get('type');
    if (url.searchParams.has('retry')) res.write(`retry: ${url.searchParams.get('retry')}\n`);
    let sent = 0;
    for (let i = from + 1; i <= count && sent < cut; i++, sent++) {
      res.write(`id: ${i}\n${type ? `event: ${type}\n` : ''}data: ${i}\n\n`);
    }
    if (sent === cut && from + sent < count) setTimeout(() => res.socket?.destroy(), 20);
  },
  // Ids from `ids` (comma-separated), from the header's (or `lastEventId` query's) position
  // on; cut after `cut` events.
  ids(req, res, { url }) {
    res.writeHead(200, streamHeaders);
    // `retry`: EventSource's reconnection time (Firefox's default is 5 s, Chromium's 3 s).
    if (url.searchParams.has('retry')) res.write(`retry: ${url.searchParams.get('retry')}\n\n`);
    const ids = url.searchParams.get('ids').split(',');
    const cut = Number(url.searchParams.get('cut') ?? Infinity);
    const last = headerId(req) ?? url.searchParams.get('lastEventId');
    // A header cannot carry spaces around a value: the id is found trimmed too.
    let at = last === null ? 0 : ids.findIndex((id) => id === last || id.trim() === last) + 1;
    let sent = 0;
    for (; at < ids.length && sent < cut; at++, sent++)
      res.write(`id: ${ids[at]}\ndata: ${at}\n\n`);
    if (sent === cut && at < ids.length) setTimeout(() => res.socket?.destroy(), 20);
  },
  // Events 1-3, a drop, then 503 (EventSource gives up), then a server that reads only the
  // header: a new EventSource, which cannot send it, gets 1-5 again.
  'gives-up'(req, res, { n }) {
    if (n === 2) {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      return void res.end('busy');
    }
    res.writeHead(200, streamHeaders);
    const from = Number(headerId(req) || 0);
    if (n === 1) res.write(quickRetry);
    for (let i = from + 1; i <= (n === 1 ? 3 : 5); i++) res.write(`id: ${i}\ndata: ${i}\n\n`);
    if (n === 1) setTimeout(() => res.socket?.destroy(), 20);
  },
  // Events 1-6, a drop, then 503 (EventSource gives up), then a server that reads only the
  // header and ends each connection after 3 events: the new EventSource replays 1-3, its own
  // reconnect (header 3, behind the page's 6) replays 4-6, the next one (header 6) brings 7-9;
  // from 9 on the stream stays open and quiet.
  'gives-up-short'(req, res, { n }) {
    if (n === 2) {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      return void res.end('busy');
    }
    res.writeHead(200, streamHeaders);
    const from = Number(headerId(req) || 0);
    res.write(n > 1 ? 'retry: 50\n\n' : quickRetry);
    const to = n === 1 ? 6 : Math.min(from + 3, 9);
    for (let i = from + 1; i <= to; i++) res.write(`id: ${i}\ndata: ${i}\n\n`);
    // 100 ms: longer than the test's retry-min, so EventSource's reconnects are never hurried
    // (two in a row sooner than retry-min make the element replace it).
    if (n === 1) setTimeout(() => res.socket?.destroy(), 100);
    else if (from < 9) setTimeout(() => res.end(), 100);
  },
  // Seeded chaos for native mode's replay filter: ids 1..count, resumed only from the header
  // (a new EventSource, which cannot send it, gets everything again). Each connection after the
  // first, drawn from `seed` and its number: a 503 (EventSource gives up), or a `retry:` of 0,
  // 30 or 300 ms and a cut after 1-4 events (a drop in the middle of a replay). From `count`
  // on the stream stays open.
  'replay-chaos'(req, res, { url, n }) {
    let state = (Number(url.searchParams.get('seed')) * 7919 + n * 104_729) | 0;
    const next = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    if (n > 1 && next() < 0.2) {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      return void res.end('busy');
    }
    res.writeHead(200, streamHeaders);
    const count = Number(url.searchParams.get('count') ?? 12);
    const from = Number(headerId(req) || 0);
    res.write(`retry: ${[0, 30, 300][Math.floor(next() * 3)]}\n\n`);
    const to = Math.min(from + 1 + Math.floor(next() * 4), count);
    for (let i = from + 1; i <= to; i++) res.write(`id: ${i}\ndata: ${i}\n\n`);
    if (to < count) setTimeout(() => res.socket?.destroy(), 20);
  },
  // An id-only block moves the resume point: the next connection must carry it.
  'id-only'(req, res, { n }) {
    res.writeHead(200, streamHeaders);
    if (n === 1) {
      res.write(`${quickRetry}id: 1\ndata: one\n\nid: 42\n\n`);
      // (The chunk must reach the page first, or there is no resume point to test: see
      // DROP_AFTER. Chromium's own EventSource, the control, lost it at 20 ms under load.)
      setTimeout(() => res.socket?.destroy(), DROP_AFTER);
    } else {
      res.write(`data: resumed from ${headerId(req)}\n\n`);
    }
  },
  // A retry: field (`retry`, as written) and an end; the next connection says hello.
  'retry-field'(req, res, { url, n }) {
    res.writeHead(200, streamHeaders);
    if (n === 1) res.end(`retry:${url.searchParams.get('retry')}\nid: 1\ndata: one\n\n`);
    else res.write(`data: two\n\n`);
  },
  // WPT eventsource/resources/last-event-id.py: an id (default "…"), retry 200 and hello,
  // then the stream ends; a request with Last-Event-ID gets it back as data. Also from the
  // lastEventId query, as the hub reads it: where fetch cannot send an id in a header (WebKit,
  // an id above U+00FF) <sse-feed> sends it there.
  'wpt-last-event-id'(req, res, { url }) {
    res.writeHead(200, streamHeaders);
    const query = url.searchParams.get('lastEventId');
    const last =
      req.headers['last-event-id'] ??
      (query === null ? undefined : Buffer.from(query, 'utf8').toString('latin1'));
    if (last)
      return void res.end(
        Buffer.concat([Buffer.from('data: '), Buffer.from(last, 'latin1'), Buffer.from('\n\n')]),
      );
    res.end(`id: ${url.searchParams.get('idvalue') ?? '…'}\nretry: 200\ndata: hello\n\n`);
  },
  // WPT eventsource/resources/last-event-id2.py: type 1 the id persists, 2 and 3 it resets.
  'wpt-last-event-id2'(req, res, { url }) {
    res.writeHead(200, streamHeaders);
    const type = url.searchParams.get('type');
    if (type === '1') res.write('id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata: 3\n\ndata: 4\n\n');
    else res.write(`id: 1\ndata: 1\n\n${type === '2' ? 'id:' : 'id'}\ndata: 2\n\ndata: 3\n\n`);
  },
  // WPT eventsource/resources/message.py: `message` (default "data: data") then two line ends
  // (none with newline=none) and one more, `mime` as the content type; then the stream ends.
  'wpt-message'(req, res, { url }) {
    res.writeHead(200, {
      'Content-Type': url.searchParams.get('mime') ?? 'text/event-stream',
      'Cache-Control': 'no-store',
    });
    const newline = url.searchParams.get('newline') === 'none' ? '' : '\n\n';
    res.end(`${url.searchParams.get('message') ?? 'data: data'}${newline}\n`);
  },
  // The eventsource package's test server (test/server.ts), its routes as scenarios:
  // /counter: 3 `counter` events per connection, ids counting on from Last-Event-ID, retry 50.
  counter(req, res) {
    res.writeHead(200, streamHeaders);
    const from = Number(headerId(req) || 0);
    res.write('retry: 50\n\n');
    for (let i = from + 1; i <= from + 3; i++)
      res.write(`event: counter\nid: ${i}\ndata: Counter is at ${i}\n\n`);
    setTimeout(() => res.end(), 20);
  },
  // /end-after-one: one `progress` event, the stream ends; the reconnect gets 204.
  'end-after-one'(req, res, { n }) {
    if (n > 1) return void res.writeHead(204).end();
    res.writeHead(200, streamHeaders);
    res.end('retry: 50\nevent: progress\nid: prct-100\ndata: 100%\n\n');
  },
  // /slow-connect: headers after 100 ms, one message, the stream ends.
  'slow-connect'(req, res) {
    setTimeout(() => {
      res.writeHead(200, streamHeaders);
      res.end('retry: 50\ndata: slow\n\n');
    }, 100);
  },
  // Every connection: `retry: 0`, one event, and the stream ends at once (a herd maker).
  'retry-zero'(req, res, { n }) {
    res.writeHead(200, streamHeaders);
    res.end(`retry: 0\nid: ${n}\ndata: ${n}\n\n`);
  },
  // A BOM split across writes, CRLF split between writes, then bad JSON mid-stream and a good
  // event after it; each piece is its own network chunk (20 ms apart).
  'split-pieces'(req, res) {
    res.writeHead(200, streamHeaders);
    const pieces = [
      Buffer.from([0xef]),
      Buffer.from([0xbb, 0xbf]),
      'id: 1\r',
      '\ndata: a\r',
      '\n\r',
      '\nid: 2\ndata: {bad\n\n',
      'id: 3\ndata: {"ok":1}\n\n',
    ];
    pieces.forEach((piece, i) => setTimeout(() => res.write(piece), 20 * i));
  },
  // /unicode: two events of multi-byte text, each written in one chunk.
  unicode(req, res) {
    res.writeHead(200, streamHeaders);
    res.write('event: unicode\ndata: Several characters: 我現在都看實況不玩遊戲\n\n');
    res.write('event: unicode\ndata: Mixed 😀 emoji ✔ and ünïcödé\n\n');
  },
  // /redirect?status=3xx: answers with a redirect to `to` (a scenario path on this server).
  redirect(req, res, { url }) {
    const to = new URL(url.searchParams.get('to'), `http://${req.headers.host}`);
    to.searchParams.set('key', `${url.searchParams.get('key')}-target`);
    // An absolute `to` (the other origin) is kept whole: a redirect across origins.
    const target = /^https?:/.test(url.searchParams.get('to')) ? to.href : to.pathname + to.search;
    res.writeHead(Number(url.searchParams.get('status')), { Location: target });
    res.end();
  },
  // Like an LLM endpoint: POST JSON `{ prompt }` in, the words of a canned answer as
  // `data: {"delta":…}` chunks every `every` ms (default 30), then `data: [DONE]` (and the
  // stream stays open unless `end`). `ids`: each chunk has an id (its index), and a request
  // with Last-Event-ID resumes after it. `drop=<k>`: the first request's connection is cut
  // after k chunks. `status=401`: the first request is refused (the next, with the fresh
  // `Authorization`, streams). The request's body and Authorization are recorded.
  async llm(req, res, { url, body, n, entry }) {
    entry.body = body;
    entry.authorization = req.headers.authorization ?? null;
    if (n === 1 && url.searchParams.get('status')) {
      res.writeHead(Number(url.searchParams.get('status')), { 'Content-Type': 'text/plain' });
      return void res.end('refused');
    }
    let prompt = '';
    try {
      prompt = JSON.parse(body).prompt;
    } catch {
      res.writeHead(400).end('expected JSON');
      return;
    }
    res.writeHead(200, streamHeaders);
    res.socket.setNoDelay(true);
    const words = `You asked: ${prompt}. Here is a short answer in twelve words, streamed.`.split(
      ' ',
    );
    const every = Number(url.searchParams.get('every') ?? 30);
    const ids = url.searchParams.has('ids');
    const drop = n === 1 ? Number(url.searchParams.get('drop') ?? Infinity) : Infinity;
    let i = ids && headerId(req) !== null ? Number(headerId(req)) + 1 : 0;
    let sent = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (sent === drop) return void res.socket.destroy();
      if (i >= words.length) {
        res.write('data: [DONE]\n\n');
        if (url.searchParams.has('end')) res.end();
        return;
      }
      const delta = (i ? ' ' : '') + words[i];
      res.write(`${ids ? `id: ${i}\n` : ''}data: ${JSON.stringify({ delta })}\n\n`);
      i++;
      sent++;
      setTimeout(tick, every);
    };
    tick();
  },
  async echo(req, res, { body, n }) {
    res.writeHead(200, streamHeaders);
    const seen = {
      n,
      method: req.method,
      authorization: req.headers.authorization ?? null,
      lastEventId: req.headers['last-event-id'] ?? null,
      contentType: req.headers['content-type'] ?? null,
      body,
    };
    res.write(`id: echo-${n}\ndata: ${JSON.stringify(seen)}\n\n`);
    if (n === 1) setTimeout(() => res.end(), 20);
  },
};

async function handle(req, res, crossOrigin) {
  const url = new URL(req.url, 'http://x');
  const key = url.searchParams.get('key') ?? 'default';
  const log = requests.get(key) ?? [];
  requests.set(key, log);
  const body = await readBody(req);
  const entry = {
    at: Date.now(),
    method: req.method,
    lastEventId: headerId(req),
    query: url.searchParams.get('lastEventId'),
    accept: req.headers.accept ?? null,
    cacheControl: req.headers['cache-control'] ?? null,
    closed: false,
  };
  log.push(entry);
  res.on('close', () => (entry.closed = true));
  if (crossOrigin) {
    if (req.method === 'OPTIONS') return void res.writeHead(405).end();
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  const scenario = scenarios[url.pathname.slice('/sse-test/'.length)];
  if (!scenario) return void res.writeHead(404).end();
  // Only the GETs and POSTs count as connections (`n`), not a refused preflight.
  const n = log.filter((seen) => seen.method !== 'OPTIONS').length;
  await scenario(req, res, { url, n, body, entry });
}

export function sseTestServer() {
  let origin = '';
  const server = createServer((req, res) => void handle(req, res, true));
  return {
    name: 'sse-test-server',
    async serverStart() {
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${server.address().port}`;
    },
    async serverStop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    async middleware(context, next) {
      if (!context.path.startsWith('/sse-test/')) return next();
      context.respond = false;
      await handle(context.req, context.res, false);
      // A scenario that never answers (no-answer): koa's default 404 would be listed by the
      // test runner as a missing file.
      if (!context.res.headersSent) context.res.statusCode = 200;
    },
    executeCommand({ command, payload }) {
      if (command === 'sse-test-origin') return { origin };
      if (command !== 'sse-test-requests') return undefined;
      return requests.get(payload.key) ?? [];
    },
  };
}

/**
 * A server that misbehaves on demand, for `<sse-feed>` fault tests. Mounted at /sse-test/ in
 * the test runner (same origin). `?key=` groups the requests of one test; the
 * `sse-test-requests` command returns what the server saw for a key.
 */
const requests = new Map();

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
      setTimeout(() => res.socket.destroy(), 50);
    } else {
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

export function sseTestServer() {
  return {
    name: 'sse-test-server',
    async middleware(context, next) {
      if (!context.path.startsWith('/sse-test/')) return next();
      const { req, res } = context;
      context.respond = false;
      const url = new URL(req.url, 'http://x');
      const key = url.searchParams.get('key') ?? 'default';
      const log = requests.get(key) ?? [];
      requests.set(key, log);
      const body = await readBody(req);
      const entry = {
        at: Date.now(),
        method: req.method,
        lastEventId: req.headers['last-event-id'] ?? null,
        closed: false,
      };
      log.push(entry);
      res.on('close', () => (entry.closed = true));
      const scenario = scenarios[context.path.slice('/sse-test/'.length)];
      if (!scenario) return void res.writeHead(404).end();
      await scenario(req, res, { url, n: log.length, body });
    },
    executeCommand({ command, payload }) {
      if (command !== 'sse-test-requests') return undefined;
      return requests.get(payload.key) ?? [];
    },
  };
}

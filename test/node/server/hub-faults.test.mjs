// The hub's HTTP endpoints under faults: clients that leave during an `await` (no ghosts), a
// store that is down (503 + Retry-After, never an empty 200), refusals a browser can read,
// publish to several topics, bad topics, /health and the operator log. Seeded where random.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MemoryStore } from '../../../dist/server/index.js';
import { httpJson, openSse, openWs, startHub, until } from './hub-helpers.mjs';
import { seeded } from './seeded.mjs';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seeded(seed);
const between = (low, high) => low + Math.floor(random() * (high - low));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Adds the seed to a failure, so the run can be replayed with SEED=<n>. */
const withSeed = (fn) => async (t) => {
  try {
    await fn(t);
  } catch (error) {
    error.message += `\n(seed ${seed}: SEED=${seed} node --test ${import.meta.filename})`;
    throw error;
  }
};

/** A memory store that can be switched off like a Redis that went away (and says so). */
class FlakyStore extends MemoryStore {
  down = false;
  delay = 0;
  /** Store calls in flight. */
  pending = 0;
  statusListeners = new Set();
  async check() {
    this.pending++;
    try {
      if (this.delay) await sleep(this.delay);
      if (this.down) throw new Error('connection refused');
    } finally {
      this.pending--;
    }
  }
  setDown(down) {
    this.down = down;
    for (const listener of this.statusListeners) listener(!down, down ? 'test switch' : undefined);
  }
  onStatus(listener) {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
  async append(...args) {
    await this.check();
    return super.append(...args);
  }
  async replay(...args) {
    await this.check();
    return super.replay(...args);
  }
  async latestId() {
    await this.check();
    return super.latestId();
  }
}

/** A request that the client aborts after `ms`. */
function abortAfter(url, ms, { method = 'GET', body } = {}) {
  return new Promise((resolve) => {
    const req = request(url, { method, agent: false }, (res) => res.resume());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    if (body !== undefined) req.write(body);
    if (method === 'GET') req.end();
    else req.end();
    setTimeout(() => req.destroy(), ms);
  });
}

const recorder = () => {
  const lines = [];
  return { lines, logger: { info: (l) => lines.push(l), warn: (l) => lines.push(l) } };
};

describe('hub under faults', () => {
  test(
    'clients that leave during authorize or a store call leave no ghost stream, poll or publish',
    withSeed(async () => {
      const store = new FlakyStore();
      let authorizing = 0;
      const h = await startHub({
        store,
        authorize: async () => {
          authorizing++;
          await sleep(between(100, 300));
          authorizing--;
          return true;
        },
      });
      const watcher = await openSse(h.url('/sse?topic=ghost'));
      await until(() => watcher.records().some((r) => r.event === 'cursor'));
      const leaving = [];
      for (let i = 0; i < 20; i++) {
        leaving.push(abortAfter(h.url('/sse?topic=ghost'), between(10, 80)));
        leaving.push(abortAfter(h.url('/poll?topic=ghost&since=x-0'), between(10, 80)));
        leaving.push(
          abortAfter(h.url('/publish?topic=ghost'), between(10, 80), {
            method: 'POST',
            body: JSON.stringify('ghost'),
          }),
        );
      }
      await Promise.all(leaving);
      await until(() => authorizing === 0, 15_000, 'every authorize settled');
      // Now the store is slow: clients leave while their replay is being fetched.
      store.delay = 200;
      const slow = [];
      for (let i = 0; i < 10; i++) {
        slow.push(abortAfter(h.url('/sse?topic=ghost'), between(110, 190) + 150));
        slow.push(abortAfter(h.url('/poll?topic=ghost&since=x-0'), between(110, 190) + 150));
      }
      await Promise.all(slow);
      // Settled, not a pause: every authorize and store call the leavers started has returned
      // (a fixed 400 ms was shorter than authorize + store on a loaded machine).
      await until(
        () => {
          const { sse, ws, poll } = h.hub.stats();
          return authorizing === 0 && store.pending === 0 && sse === 1 && ws === 0 && poll === 0;
        },
        15_000,
        'every authorize and store call settled, only the watcher left',
      );
      store.delay = 0;
      assert.deepEqual(h.hub.stats(), { sse: 1, ws: 0, poll: 0 }, 'only the watcher is left');
      // Nothing was published for a client that left before it could learn the id.
      await h.hub.publish('ghost', 'sentinel');
      await until(() => watcher.events().length >= 1);
      assert.deepEqual(
        watcher.events().map((e) => JSON.parse(e.data)),
        ['sentinel'],
      );
      watcher.close();
      await until(() => h.hub.stats().sse === 0);
      await h.close();
    }),
  );

  test('while the store is down every endpoint answers 503 unavailable with Retry-After; logged once', async () => {
    const store = new FlakyStore();
    const { lines, logger } = recorder();
    const h = await startHub({ store, logger, retry: 3000 });
    const live = await openSse(h.url('/sse?topic=down'));
    await until(() => live.records().some((r) => r.event === 'cursor'));
    store.setDown(true);
    for (let round = 0; round < 3; round++) {
      for (const [path, method] of [
        ['/sse?topic=down', 'GET'],
        ['/poll?topic=down', 'GET'],
        ['/publish?topic=down', 'POST'],
        ['/health', 'GET'],
      ]) {
        const answer = await httpJson(h.url(path), {
          method,
          body: method === 'POST' ? 1 : undefined,
        });
        assert.equal(answer.status, 503, path);
        assert.equal(answer.body.error, 'unavailable', path);
        assert.equal(answer.headers['retry-after'], '3', path);
      }
    }
    assert.equal(live.res.destroyed, false, 'a live stream stays');
    store.setDown(false);
    const published = await httpJson(h.url('/publish?topic=down'), { method: 'POST', body: 1 });
    assert.equal(published.status, 200);
    await until(() => live.events().length === 1);
    assert.equal(lines.filter((l) => /store down/.test(l)).length, 1, lines.join('\n'));
    assert.match(
      lines.find((l) => /store up again/.test(l)),
      /12 requests refused meanwhile/,
    );
    live.close();
    await h.close();
  });

  test('a store that fails without saying so: the SSE head waits for it, so the client reads a 503', async () => {
    const store = new FlakyStore();
    store.down = true; // no onStatus call: the hub learns it from the failed call itself
    const h = await startHub({ store });
    for (const path of [
      '/sse?topic=quiet',
      '/sse?topic=quiet&lastEventId=x-1',
      '/poll?topic=quiet',
    ]) {
      const answer = await httpJson(h.url(path));
      assert.equal(answer.status, 503, path);
      assert.equal(answer.body.error, 'unavailable', path);
      assert.ok(Number(answer.headers['retry-after']) >= 1, path);
    }
    assert.equal(h.hub.stats().sse, 0);
    await h.close();
  });

  test('/health: 200 with connection counts when the store answers, 503 while closing', async () => {
    const h = await startHub();
    const health = await httpJson(h.url('/health'));
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok', sse: 0, ws: 0, poll: 0 });
    const closing = h.hub.close();
    const refused = await httpJson(h.url('/health'));
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, 'closing');
    await closing;
    await h.close();
  });

  test('a refused origin gets a 403 it can read (CORS headers), its preflight passes, logged once per burst', async () => {
    const { lines, logger } = recorder();
    const h = await startHub({ logger });
    const origin = 'http://other.example:8000';
    for (const [path, method] of [
      ['/sse?topic=o', 'GET'],
      ['/poll?topic=o', 'GET'],
      ['/publish?topic=o', 'POST'],
    ]) {
      const answer = await httpJson(h.url(path), { method, body: 1, headers: { origin } });
      assert.equal(answer.status, 403, path);
      assert.equal(answer.body.error, 'forbidden-origin');
      assert.equal(answer.headers['access-control-allow-origin'], origin, path);
      const preflight = await httpJson(h.url(path), { method: 'OPTIONS', headers: { origin } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], origin);
    }
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /refused origin http:\/\/other\.example:8000.*allowedOrigins/);
    await h.close();
    assert.match(lines.at(-1), /2 more refused origins before the hub closed/);
  });

  // Red team (keycloak/keycloak#25522, reearth/reearth-cms#1940, the ASP.NET CORS docs note: an
  // allowed origin written as a URL — trailing slash, upper case — never matches the browser's
  // Origin header, and every request is refused). `--allowed-origin http://app.example/` did so.
  test('allowedOrigins written as URLs (trailing slash, upper case, default port) still match', async () => {
    const h = await startHub({
      allowedOrigins: ['http://app.example:8000/', 'HTTPS://Shop.Example:443', 'null'],
    });
    try {
      for (const origin of ['http://app.example:8000', 'https://shop.example', 'null']) {
        const answer = await httpJson(h.url('/publish?topic=o'), {
          method: 'POST',
          body: 1,
          headers: { origin },
        });
        assert.equal(answer.status, 200, origin);
        const ws = await openWs(h.url('/ws').replace('http', 'ws'), { origin });
        await until(() => ws.of('hello').length === 1, 15_000, `hello for ${origin}`);
        ws.socket.close();
      }
      const other = await httpJson(h.url('/publish?topic=o'), {
        method: 'POST',
        body: 1,
        headers: { origin: 'http://app.example:8001' },
      });
      assert.equal(other.status, 403);
    } finally {
      await h.close();
    }
  });

  // Red team (coder/code-server#6161, nginx-ui#1718: a proxy that sends `Host: $host:$server_port`
  // names the default port the browser's Origin leaves out). Behind TLS on 443 every page of
  // the hub's own host was refused forbidden-origin.
  test("the hub's own host matches with or without its default port in Host (a proxy's $host:$server_port)", async () => {
    const h = await startHub();
    try {
      for (const [origin, host, status] of [
        ['https://app.example', 'app.example:443', 200],
        ['http://app.example', 'app.example:80', 200],
        ['https://app.example', 'APP.example', 200],
        ['https://app.example:8443', 'app.example:8443', 200],
        ['https://app.example', 'app.example:80', 403],
        ['http://app.example', 'app.example:443', 403],
        ['https://app.example', 'other.example:443', 403],
      ]) {
        const headers = { origin, host };
        const poll = await httpJson(h.url('/poll?topic=o&timeout=0'), { headers });
        assert.equal(poll.status, status, `poll, Origin ${origin}, Host ${host}`);
        const ws = await openWs(h.url('/ws').replace('http', 'ws'), { origin, headers: { host } });
        await until(
          () => ws.of('hello').length === 1 || ws.socket.readyState === ws.socket.CLOSED,
          30_000,
          `hello or close for ${origin}`,
        );
        const accepted = ws.of('hello').length === 1;
        ws.socket.close();
        assert.equal(accepted, status === 200, `WebSocket, Origin ${origin}, Host ${host}`);
      }
    } finally {
      await h.close();
    }
  });

  test('publish to several topics reaches each with its own id; a bad name is refused whole; no topic says so', async () => {
    const h = await startHub();
    const a = await openSse(h.url('/sse?topic=pa'));
    const b = await openSse(h.url('/sse?topic=pb'));
    const bad = await openSse(h.url('/sse?topic=bad'));
    for (const s of [a, b, bad]) await until(() => s.records().some((r) => r.event === 'cursor'));
    for (const query of ['topic=pa&topic=pb', 'topic=pa%20pb', 'topic=pa,pb&topic=pa']) {
      const answer = await httpJson(h.url(`/publish?${query}`), {
        method: 'POST',
        body: JSON.stringify(query),
      });
      assert.equal(answer.status, 200, query);
      assert.equal(answer.body.ids.length, 2, query);
      assert.equal(answer.body.id, answer.body.ids[1]);
    }
    await until(() => a.events().length === 3 && b.events().length === 3);
    assert.notDeepEqual(
      a.events().map((e) => e.id),
      b.events().map((e) => e.id),
      'one id each',
    );
    const refused = await httpJson(h.url('/publish?topic=bad%20topic!'), {
      method: 'POST',
      body: 1,
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'bad-topic');
    assert.match(refused.body.message, /"topic!" in topic="bad topic!"/);
    const subscribe = await httpJson(h.url('/sse?topic=ok%20no%3Cpe'));
    assert.equal(subscribe.status, 400);
    assert.match(subscribe.body.message, /"no<pe" in topic="ok no<pe"/);
    for (const query of ['', '?topic=', '?topic=%20']) {
      const none = await httpJson(h.url(`/publish${query}`), { method: 'POST', body: 1 });
      assert.equal(none.status, 400, query);
      assert.equal(none.body.error, 'bad-topic');
      assert.match(none.body.message, /No topic given/);
    }
    await h.hub.publish('bad', 'sentinel');
    await until(() => bad.events().length === 1);
    assert.equal(JSON.parse(bad.events()[0].data), 'sentinel', 'nothing reached "bad" before');
    for (const s of [a, b, bad]) s.close();
    await h.close();
  });
});

// Red-team pass on issue #27 (presence, hub.publish([topics]), hub.unsubscribe, metrics): the
// seams between them. Uses dist/: run `npm run build` first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { createGunzip } from 'node:zlib';
import { startHub, openSse, openWs, until, sseRecords } from './hub-helpers.mjs';
import { createHub } from '../../../dist/server/index.js';

const authorize = ({ req, token }) => ({ user: token ?? req.headers['x-user'] });
const users = async (h, topic) => (await h.hub.presence(topic)).map((m) => m.user).sort();

test('hub.unsubscribe of a presence topic: the SSE user leaves that topic, keeps the other, hears no more of it', async (t) => {
  const h = await startHub({ presence: ['room:'], authorize });
  t.after(() => h.close());
  const alice = await openSse(h.url('/sse?topic=room:1&topic=room:2'), { 'X-User': 'alice' });
  await until(async () => (await users(h, 'room:1')).length === 1, 10_000, 'alice joined');
  await until(() => alice.text.includes('$presence'), 10_000, 'snapshots');
  assert.equal(await h.hub.unsubscribe({ user: 'alice' }, 'room:1'), 1);
  await until(() => alice.text.includes('$unsubscribed'), 10_000, '$unsubscribed');
  await until(async () => (await users(h, 'room:1')).length === 0, 10_000, 'alice left room:1');
  assert.deepEqual(await users(h, 'room:2'), ['alice']);
  // Sentinel: bob joins both rooms; alice's stream hears bob on room:2 only.
  const bob = await openSse(h.url('/sse?topic=room:1&topic=room:2'), { 'X-User': 'bob' });
  const after = () =>
    sseRecords(alice.text.slice(alice.text.indexOf('$unsubscribed')))
      .filter((r) => r.event === '$presence')
      .map((r) => JSON.parse(r.data));
  await until(() => after().some((m) => m.action === 'join' && m.user === 'bob'), 10_000, 'bob');
  assert.deepEqual(
    after().map((m) => m.topic),
    ['room:2'],
  );
  alice.close();
  bob.close();
});

test('hub.unsubscribe of a presence topic: the WebSocket user leaves that topic, keeps the other, hears no more of it', async (t) => {
  const h = await startHub({ presence: ['room:'], authorize });
  t.after(() => h.close());
  const ws = await openWs(h.url('/ws').replace('http', 'ws'));
  ws.send({ type: 'auth', token: 'alice' });
  ws.send({ type: 'subscribe', topics: ['room:1', 'room:2'], ref: 1 });
  await until(() => ws.of('presence').length === 2, 10_000, 'snapshots');
  assert.equal(await h.hub.unsubscribe({ user: 'alice' }, ['room:1']), 1);
  await until(() => ws.of('unsubscribed').length === 1, 10_000, 'unsubscribed frame');
  await until(async () => (await users(h, 'room:1')).length === 0, 10_000, 'alice left room:1');
  assert.deepEqual(await users(h, 'room:2'), ['alice']);
  const seen = ws.frames.length;
  const bob = await openWs(h.url('/ws').replace('http', 'ws'));
  bob.send({ type: 'auth', token: 'bob' });
  bob.send({ type: 'subscribe', topics: ['room:1', 'room:2'], ref: 1 });
  const later = () => ws.frames.slice(seen).filter((f) => f.type === 'presence');
  await until(() => later().some((f) => f.user === 'bob'), 10_000, 'bob join on room:2');
  assert.deepEqual(
    later().map((f) => f.topic),
    ['room:2'],
  );
  ws.socket.terminate();
  bob.socket.terminate();
});

test('hub.unsubscribe on a gzip SSE stream: $unsubscribed arrives decoded and the stream ends cleanly', async (t) => {
  const h = await startHub({ compression: { threshold: 0 }, presence: ['room:'], authorize });
  t.after(() => h.close());
  const stream = await new Promise((resolve, reject) => {
    const req = get(
      h.url('/sse?topic=room:1'),
      { headers: { 'accept-encoding': 'gzip', 'x-user': 'alice' }, agent: false },
      (res) => {
        const s = { res, text: '', ended: false, aborted: false };
        const body = res.pipe(createGunzip());
        body.setEncoding('utf8');
        body.on('data', (c) => (s.text += c));
        body.on('end', () => (s.ended = true));
        body.on('error', (e) => (s.error = e));
        res.on('aborted', () => (s.aborted = true));
        resolve(s);
      },
    );
    req.on('error', reject);
  });
  assert.equal(stream.res.headers['content-encoding'], 'gzip');
  await until(() => stream.text.includes('$presence'), 10_000, 'snapshot');
  assert.equal(await h.hub.unsubscribe({ user: 'alice' }, 'room:1'), 1);
  await until(() => stream.ended || stream.error || stream.aborted, 10_000, 'end');
  assert.equal(stream.error, undefined);
  assert.equal(stream.aborted, false);
  assert.ok(stream.text.includes('event: $unsubscribed\ndata: {"topics":["room:1"]}\n\n'));
  await until(async () => (await users(h, 'room:1')).length === 0, 10_000, 'alice left');
});

test('hub.publish([topics]): a topic listed twice is published once (the same event in both places); [] and 1,000 topics', async (t) => {
  const h = await startHub();
  t.after(() => h.close());
  const stream = await openSse(h.url('/sse?topic=a&topic=b'));
  await until(() => stream.text.includes('event: cursor'), 10_000, 'cursor');
  const events = await h.hub.publish(['a', 'b', 'a'], { n: 1 });
  assert.equal(events.length, 3);
  assert.equal(events[0].id, events[2].id);
  assert.notEqual(events[0].id, events[1].id);
  await h.hub.publish('b', 'sentinel');
  await until(() => stream.events().some((e) => e.data === '"sentinel"'), 10_000, 'sentinel');
  assert.deepEqual(
    stream.events().map((e) => e.data),
    ['{"n":1}', '{"n":1}', '"sentinel"'],
  );
  await assert.rejects(h.hub.publish([], 1), { code: 'bad-topic' });
  const many = Array.from({ length: 1000 }, (_, i) => `t${i}`);
  const out = await h.hub.publish(many, 1);
  assert.equal(new Set(out.map((e) => e.id)).size, 1000);
  assert.deepEqual(
    out.map((e) => e.topic),
    many,
  );
  stream.close();
});

test('maxPresenceMembers: NaN and negative are refused at createHub; 0 admits nobody as a member', async (t) => {
  for (const bad of [NaN, -1, 1.5, '3']) {
    assert.throws(
      () => createHub({ presence: [''], maxPresenceMembers: bad }),
      TypeError,
      String(bad),
    );
  }
  const h = await startHub({ presence: ['room:'], maxPresenceMembers: 0, authorize });
  t.after(() => h.close());
  const s = await openSse(h.url('/sse?topic=room:1'), { 'X-User': 'alice' });
  assert.equal(s.status, 429);
  s.close();
  assert.deepEqual(await users(h, 'room:1'), []);
});

test('presence user ids with ":", "{", "}", unicode and info with newlines round-trip (memory)', async (t) => {
  const odd = ['a:b', '{tag}', 'x}{y', 'ü🙂', 'line\nbreak', ''];
  const h = await startHub({
    presence: ['room:'],
    authorize: ({ req }) => ({
      user: decodeURIComponent(req.headers['x-user']),
      info: { bio: 'two\nlines\n\ndata: fake' },
    }),
  });
  t.after(() => h.close());
  const streams = [];
  for (const user of odd) {
    streams.push(await openSse(h.url('/sse?topic=room:1'), { 'X-User': encodeURIComponent(user) }));
  }
  await until(async () => (await users(h, 'room:1')).length === odd.length, 10_000, 'all joined');
  assert.deepEqual(await users(h, 'room:1'), [...odd].sort());
  const last = streams.at(-1);
  await until(() => last.text.includes('$presence'), 10_000, 'snapshot');
  const snapshot = sseRecords(last.text).find((r) => r.event === '$presence');
  const members = JSON.parse(snapshot.data).members;
  assert.equal(members.length, odd.length);
  assert.ok(members.every((m) => m.info.bio === 'two\nlines\n\ndata: fake'));
  for (const s of streams) s.close();
  await until(async () => (await users(h, 'room:1')).length === 0, 10_000, 'all left');
});

test('a presence snapshot larger than maxBufferedBytes (many members with big info) reaches a new subscriber; it is not cut off on every reconnect', async (t) => {
  // 3 members × 40 KB of info: a 120 KB snapshot, past a 64 KB maxBufferedBytes.
  const big = 'x'.repeat(40_000);
  const h = await startHub({
    presence: ['room:'],
    maxBufferedBytes: 64 * 1024,
    authorize: ({ req, token }) => ({ user: token ?? req.headers['x-user'], info: { big } }),
  });
  t.after(() => h.close());
  const streams = [];
  for (const user of ['a', 'b', 'c']) {
    streams.push(await openSse(h.url('/sse?topic=room:1'), { 'X-User': user }));
  }
  await until(async () => (await users(h, 'room:1')).length === 3, 10_000, 'three members');
  const d = await openSse(h.url('/sse?topic=room:1'), { 'X-User': 'd' });
  assert.equal(d.status, 200);
  // Complete records only: the snapshot comes in many chunks.
  const whole = () => sseRecords(d.text.slice(0, d.text.lastIndexOf('\n\n') + 2));
  await until(() => whole().some((r) => r.event === '$presence'), 10_000, 'SSE snapshot');
  const snapshot = JSON.parse(whole().find((r) => r.event === '$presence').data);
  assert.equal(snapshot.members.length, 4);
  const ws = await openWs(h.url('/ws').replace('http', 'ws'));
  ws.send({ type: 'auth', token: 'e' });
  ws.send({ type: 'subscribe', topics: ['room:1'], ref: 1 });
  await until(() => ws.of('presence').some((f) => f.action === 'snapshot'), 10_000, 'WS snapshot');
  assert.equal(ws.of('presence')[0].members.length, 5);
  assert.equal(ws.socket.readyState, ws.socket.OPEN);
  // The stream is still open: a publish after it arrives.
  await h.hub.publish('room:1', 'after');
  await until(() => d.events().some((e) => e.data === '"after"'), 10_000, 'event after snapshot');
  for (const s of [...streams, d]) s.close();
  ws.socket.terminate();
});

test('Redis: odd user ids (":", "{…}", unicode) across two processes; hub.unsubscribe from the other process takes the user out of presence; drain of one process keeps a user present on the other', async (t) => {
  const { startRedis } = await import('./redis-helpers.mjs');
  const redis = await startRedis({ persistence: false });
  t.after(() => redis.stop());
  const options = {
    redis: redis.url,
    presence: ['room:'],
    presenceTtl: 4000,
    authorize: ({ req }) => ({
      user: decodeURIComponent(req.headers['x-user']),
      info: { n: decodeURIComponent(req.headers['x-user']) },
    }),
  };
  const a = await startHub(options);
  const b = await startHub(options);
  t.after(() => Promise.all([a.close(), b.close()]));
  const odd = ['a:b', '{tag}', 'x}{y', 'ü🙂'];
  const on = (h, user, topics = 'topic=room:1&topic=room:2') =>
    openSse(h.url(`/sse?${topics}`), { 'X-User': encodeURIComponent(user) });
  const streams = [];
  for (const [i, user] of odd.entries()) streams.push(await on(i < 2 ? b : a, user));
  await until(async () => (await users(b, 'room:1')).length === odd.length, 15_000, 'joined');
  assert.deepEqual(await users(a, 'room:1'), [...odd].sort());
  assert.deepEqual((await a.hub.presence('room:1')).find((m) => m.user === 'ü🙂').info, {
    n: 'ü🙂',
  });
  // '{tag}' is on process b; the unsubscribe is called on a.
  await a.hub.unsubscribe({ user: '{tag}' }, 'room:1');
  await until(
    async () => !(await users(a, 'room:1')).includes('{tag}'),
    15_000,
    '{tag} left room:1',
  );
  assert.ok((await users(a, 'room:2')).includes('{tag}'));
  // 'a:b' (on b) opens a second stream on a; a drains: 'a:b' stays, 'x}{y' and 'ü🙂' (a only)
  // leave.
  const second = await on(a, 'a:b', 'topic=room:1');
  await until(() => second.text.includes('event: cursor'), 15_000, 'second stream');
  const observer = await on(b, 'observer', 'topic=room:1');
  await until(() => observer.text.includes('$presence'), 15_000, 'observer snapshot');
  await a.hub.drain({ within: 100 });
  await until(
    async () => (await users(b, 'room:1')).join() === ['a:b', 'observer'].join(),
    15_000,
    'the members of a left with it',
  );
  assert.ok((await users(b, 'room:1')).includes('a:b'));
  // Sentinel: 'z' joins on b; every leave before it has reached the observer by then.
  const z = await on(b, 'z', 'topic=room:1');
  const told = () =>
    sseRecords(observer.text.slice(0, observer.text.lastIndexOf('\n\n') + 2))
      .filter((r) => r.event === '$presence')
      .map((r) => JSON.parse(r.data));
  await until(() => told().some((m) => m.action === 'join' && m.user === 'z'), 15_000, 'z');
  const leaves = told()
    .filter((m) => m.action === 'leave')
    .map((m) => m.user);
  assert.deepEqual(leaves.sort(), ['x}{y', 'ü🙂'].sort());
  for (const s of [...streams, second, observer, z]) s.close();
});

test('a grant info past maxPayload is not spread to every subscriber: it is logged and the member shows info null', async (t) => {
  const lines = [];
  const h = await startHub({
    presence: ['room:'],
    maxPayload: 1024,
    logger: { warn: (line) => lines.push(String(line)), info: () => {} },
    authorize: ({ req }) => ({
      user: req.headers['x-user'],
      info: req.headers['x-user'] === 'big' ? { blob: 'x'.repeat(5000) } : { ok: 1 },
    }),
  });
  t.after(() => h.close());
  const big = await openSse(h.url('/sse?topic=room:1'), { 'X-User': 'big' });
  const small = await openSse(h.url('/sse?topic=room:1'), { 'X-User': 'small' });
  await until(async () => (await users(h, 'room:1')).length === 2, 10_000, 'both joined');
  const members = Object.fromEntries((await h.hub.presence('room:1')).map((m) => [m.user, m.info]));
  assert.deepEqual(members, { big: null, small: { ok: 1 } });
  await until(() => lines.some((l) => /info/.test(l) && /maxPayload/.test(l)), 10_000, 'logged');
  big.close();
  small.close();
});

test('hub.unsubscribe while a subscription is still starting (its store read pending): no presence of the dropped topic follows (SSE, WebSocket)', async (t) => {
  const { MemoryStore } = await import('../../../dist/server/index.js');
  let open;
  const gate = new Promise((resolve) => (open = resolve));
  class SlowStore extends MemoryStore {
    async latestId() {
      await gate;
      return super.latestId();
    }
  }
  const h = await startHub({ store: new SlowStore(), presence: ['room:'], authorize });
  t.after(() => (open(), h.close()));
  const pending = openSse(h.url('/sse?topic=room:1&topic=room:2'), { 'X-User': 'alice' });
  const ws = await openWs(h.url('/ws').replace('http', 'ws'));
  ws.send({ type: 'auth', token: 'alice' });
  ws.send({ type: 'subscribe', topics: ['room:1', 'room:2'], ref: 1 });
  await until(
    async () => (await h.hub.topic('room:1')).subscribers === 2,
    10_000,
    'both subscriptions attached, still starting',
  );
  assert.equal(await h.hub.unsubscribe({ user: 'alice' }, 'room:1'), 2);
  open();
  const sse = await pending;
  const presenceOf = () =>
    sseRecords(sse.text.slice(0, sse.text.lastIndexOf('\n\n') + 2))
      .filter((r) => r.event === '$presence')
      .map((r) => JSON.parse(r.data));
  // Sentinel: bob joins both rooms; alice hears him on room:2 only, on both transports.
  const bob = await openSse(h.url('/sse?topic=room:1&topic=room:2'), { 'X-User': 'bob' });
  await until(() => presenceOf().some((m) => m.user === 'bob'), 10_000, 'bob on SSE');
  await until(() => ws.of('presence').some((f) => f.user === 'bob'), 10_000, 'bob on WS');
  assert.deepEqual([...new Set(presenceOf().map((m) => m.topic))], ['room:2']);
  assert.deepEqual([...new Set(ws.of('presence').map((f) => f.topic))], ['room:2']);
  assert.deepEqual(await users(h, 'room:1'), ['bob']);
  sse.close();
  bob.close();
  ws.socket.terminate();
});

test('metrics: a reset reason outside the known set (a custom store) is counted as "other", not as a new label value each', async (t) => {
  const { MemoryStore } = await import('../../../dist/server/index.js');
  let n = 0;
  class OddStore extends MemoryStore {
    async replay(cursor, topics, max) {
      const replay = await super.replay(cursor, topics, max);
      return { ...replay, reset: `lost-${n++}`, events: [] };
    }
  }
  const { scrape } = await import('./metrics-helpers.mjs');
  const h = await startHub({ store: new OddStore(), metrics: true });
  t.after(() => h.close());
  const first = await h.hub.publish('a', 1);
  for (let i = 0; i < 3; i++) {
    const s = await openSse(h.url('/sse?topic=a'), { 'Last-Event-ID': first.id });
    await until(() => s.text.includes('event: reset'), 10_000, 'reset');
    s.close();
  }
  const m = await scrape(h.url('/metrics'));
  const reasons = [...m.text.matchAll(/realtime_hub_resets_total\{reason="([^"]+)"\}/g)].map(
    (x) => x[1],
  );
  assert.deepEqual(reasons.sort(), ['epoch', 'invalid', 'other', 'too-many', 'too-old']);
  assert.equal(m.value('realtime_hub_resets_total', { reason: 'other' }), 3);
});

// History per topic, rewind and hub.history, against a real hub in memory and on a real
// redis-server. A busy topic must not evict a quiet one's history; a subscriber of several
// topics is told which topic lost events (`topics` of the reset) and gets the rest in one order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpJson, openSse, openWs, startHub, until } from './hub-helpers.mjs';
import { startRedis } from './redis-helpers.mjs';
import { seeded } from './seeded.mjs';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seeded(seed);
const seedNote = `(seed ${seed}: SEED=${seed} replays this run)`;

/** Published events of an SSE stream (not the hub's `cursor` and `reset`). */
const published = (stream) => stream.events().filter((r) => r.event !== 'reset');
const seqOf = (id) => Number(id.slice(id.lastIndexOf('-') + 1));
const increasing = (ids) => ids.every((id, i) => i === 0 || seqOf(id) > seqOf(ids[i - 1]));

/**
 * Publishes `count` values to `topic` (ordered: each batch goes out in call order). 100 at a
 * time: the Redis store gives each command 2 s (then 503 unavailable), and with 1,000 in flight
 * the last of a batch waited longer than that on a loaded machine.
 */
async function publishMany(hub, list) {
  for (let i = 0; i < list.length; i += 100) {
    await Promise.all(list.slice(i, i + 100).map(([topic, data]) => hub.publish(topic, data)));
  }
}

for (const kind of ['memory', 'redis']) {
  describe(`history per topic (${kind})`, () => {
    let redis;
    const hubs = [];
    const hubWith = async (options = {}) => {
      const h = await startHub({
        ...(redis ? { redis: { url: redis.url, prefix: `p${hubs.length}` } } : {}),
        ...options,
      });
      hubs.push(h);
      return h;
    };
    before(async () => {
      if (kind === 'redis') redis = await startRedis({ persistence: false });
    });
    after(async () => {
      for (const h of hubs) await h.close();
      await redis?.stop();
    });

    test(`a quiet topic keeps its 10 events while a busy one publishes 100,000 ${seedNote}`, async () => {
      const h = await hubWith({ history: { default: { limit: 1000 } } });
      const start = await h.hub.latestId();
      // The quiet topic's 10 events at seeded places among the busy topic's 100,000.
      const at = new Set();
      while (at.size < 10) at.add(Math.floor(random() * 100_000));
      const list = [];
      let quiet = 0;
      for (let i = 0; i < 100_000; i++) {
        if (at.has(i)) list.push(['quiet', `q${quiet++}`]);
        list.push(['busy', i]);
      }
      await publishMany(h.hub, list);
      const expectedQuiet = Array.from({ length: 10 }, (_, i) => `q${i}`);

      // Away throughout, subscribed to the quiet topic only: every missed event, no reset.
      const alone = await openSse(h.url('/sse?topic=quiet'), { 'Last-Event-ID': start });
      await until(() => alone.events().length === 10, 30_000, 'the quiet replay');
      await h.hub.publish('quiet', 'sentinel');
      await until(() => alone.events().length === 11, 30_000, 'the sentinel');
      assert.deepEqual(
        alone.events().map((r) => JSON.parse(r.data)),
        [...expectedQuiet, 'sentinel'],
      );
      assert.equal(alone.records().filter((r) => r.event === 'reset').length, 0);
      alone.close();

      // Subscribed to both: a reset naming the busy topic only, then all that is kept, in order.
      const keptBusy = Array.from({ length: 1000 }, (_, i) => 99_000 + i);
      const both = await openSse(h.url('/sse?topic=quiet&topic=busy'), { 'Last-Event-ID': start });
      await until(() => published(both).length === 1011, 60_000, 'the merged replay');
      const [reset, ...rest] = both.events();
      assert.equal(reset.event, 'reset');
      assert.deepEqual(JSON.parse(reset.data), { reason: 'too-old', id: start, topics: ['busy'] });
      assert.equal(reset.id, start);
      assert.ok(increasing(rest.map((r) => r.id)), 'one id order');
      assert.deepEqual(
        rest.filter((r) => r.event === 'quiet').map((r) => JSON.parse(r.data)),
        [...expectedQuiet, 'sentinel'],
      );
      assert.deepEqual(
        rest.filter((r) => r.event === 'busy').map((r) => JSON.parse(r.data)),
        keptBusy,
      );
      both.close();

      // WebSocket: the same, the reset frame's `topics` naming the lost one.
      const ws = await openWs(h.url('/ws').replace('http', 'ws'));
      ws.send({ type: 'subscribe', topics: ['quiet', 'busy'], since: start });
      await until(() => ws.of('message').length === 1011, 60_000, 'the WebSocket replay');
      const frames = ws.frames.filter((f) => f.type === 'reset' || f.type === 'message');
      assert.deepEqual(frames[0], {
        type: 'reset',
        topics: ['busy'],
        reason: 'too-old',
        id: start,
      });
      assert.ok(increasing(frames.slice(1).map((f) => f.id)));
      ws.socket.close();

      // Long-poll: the reset travels with the events after it; polling on finds nothing more.
      const poll = await httpJson(h.url(`/poll?topic=quiet&topic=busy&since=${start}`));
      assert.deepEqual(poll.body.reset, { reason: 'too-old', topics: ['busy'] });
      assert.equal(poll.body.events.length, 1011);
      assert.equal(poll.body.cursor, poll.body.events.at(-1).id);
      const next = await httpJson(
        h.url(`/poll?topic=quiet&topic=busy&since=${poll.body.cursor}&timeout=0`),
      );
      assert.deepEqual(next.body, { events: [], cursor: poll.body.cursor });

      // hub.history: the same answer for a server.
      const page = await h.hub.history(['quiet', 'busy'], { since: start });
      assert.equal(page.reset, 'too-old');
      assert.deepEqual(page.lost, ['busy']);
      assert.equal(page.events.length, 1011);
      const quietPage = await h.hub.history('quiet');
      assert.deepEqual(
        quietPage.events.map((e) => e.data),
        [...expectedQuiet, 'sentinel'],
      );
      assert.equal(quietPage.cursor, await h.hub.latestId());
    });

    test('prefix overrides: the longest prefix wins; limit 0 keeps nothing and says so', async () => {
      const h = await hubWith({
        historyLimit: 50,
        history: { prices: { limit: 1 }, 'prices:fx': { limit: 3 }, 'log:': { limit: 0 } },
      });
      const start = await h.hub.latestId();
      for (let i = 0; i < 5; i++) {
        await h.hub.publish('prices', i);
        await h.hub.publish('prices:fx', i);
        await h.hub.publish('other', i);
        await h.hub.publish('log:a', i);
      }
      const values = async (topic) => (await h.hub.history(topic)).events.map((e) => e.data);
      assert.deepEqual(await values('prices'), [4]);
      assert.deepEqual(await values('prices:fx'), [2, 3, 4]);
      assert.deepEqual(await values('other'), [0, 1, 2, 3, 4]);
      assert.deepEqual(await values('log:a'), []);
      const page = await h.hub.history(['other', 'prices', 'log:a'], { since: start });
      assert.equal(page.reset, 'too-old');
      assert.deepEqual(page.lost.sort(), ['log:a', 'prices']);
      assert.deepEqual(
        page.events.map((e) => `${e.topic}=${e.data}`),
        ['other=0', 'other=1', 'other=2', 'other=3', 'prices=4', 'other=4'],
      );
      // A topic that lost nothing resumes plainly.
      const plain = await h.hub.history('other', { since: start, limit: 2 });
      assert.equal(plain.reset, undefined);
      assert.deepEqual(
        plain.events.map((e) => e.data),
        [0, 1],
      );
      // Paging: `cursor` is the last one returned when more follow.
      assert.equal(plain.cursor, plain.events[1].id);
      const rest = await h.hub.history('other', { since: plain.cursor });
      assert.deepEqual(
        rest.events.map((e) => e.data),
        [2, 3, 4],
      );
      assert.equal(rest.cursor, await h.hub.latestId());
    });

    test('maxReplay: Infinity lifts the cap: hub.history and rewind return every kept event', async () => {
      const h = await hubWith({ maxReplay: Infinity });
      for (let i = 0; i < 3; i++) await h.hub.publish('nocap', i);
      const page = await h.hub.history('nocap');
      assert.deepEqual(
        page.events.map((e) => e.data),
        [0, 1, 2],
      );
      const rewound = await httpJson(h.url('/poll?topic=nocap&rewind=99'));
      assert.equal(rewound.body.events.length, 3);
    });

    test('ttl: events older than it are dropped, and their topic is named as lost', async () => {
      const h = await hubWith({ history: { 'chat:': { ttl: 300 } } });
      const start = await h.hub.latestId();
      await h.hub.publish('chat:1', 'old');
      await h.hub.publish('feed', 'kept');
      await until(
        async () => (await h.hub.history('chat:1')).events.length === 0,
        30_000,
        'the ttl',
      );
      await h.hub.publish('chat:1', 'new');
      const page = await h.hub.history(['chat:1', 'feed'], { since: start });
      assert.equal(page.reset, 'too-old');
      assert.deepEqual(page.lost, ['chat:1']);
      assert.deepEqual(
        page.events.map((e) => e.data),
        ['kept', 'new'],
      );
    });

    test('maxReplay: a cursor that missed more answers reset too-many and goes on live', async () => {
      const h = await hubWith({ maxReplay: 5 });
      const start = await h.hub.latestId();
      for (let i = 0; i < 6; i++) await h.hub.publish('many', i);
      const newest = await h.hub.latestId();
      const stream = await openSse(h.url('/sse?topic=many'), { 'Last-Event-ID': start });
      const reset = await until(() => stream.records().find((r) => r.event === 'reset'));
      assert.deepEqual(JSON.parse(reset.data), { reason: 'too-many', id: newest });
      await h.hub.publish('many', 'live');
      await until(() => published(stream).length === 1);
      assert.equal(JSON.parse(published(stream)[0].data), 'live');
      stream.close();
      // Exactly maxReplay (seven are kept: five after the second) is still a replay.
      const second = start.replace(/\d+$/, (n) => String(Number(n) + 2));
      const five = await httpJson(h.url(`/poll?topic=many&since=${second}`));
      assert.equal(five.body.reset, undefined);
      assert.equal(five.body.events.length, 5);
      // And rewind is capped by it.
      const rewound = await httpJson(h.url('/poll?topic=many&rewind=100'));
      assert.equal(rewound.body.events.length, 5);
    });

    test('rewind=N: the last N events of the topics in one order, then live — only without a cursor', async () => {
      const h = await hubWith();
      for (const [topic, data] of [
        ['ra', 'a1'],
        ['rb', 'b1'],
        ['ra', 'a2'],
        ['rc', 'c1'],
        ['rb', 'b2'],
        ['ra', 'a3'],
      ])
        await h.hub.publish(topic, data);
      const sse = await openSse(h.url('/sse?topic=ra&topic=rb&rewind=3'));
      await until(() => sse.events().length === 3);
      assert.deepEqual(
        sse.events().map((r) => JSON.parse(r.data)),
        ['a2', 'b2', 'a3'],
      );
      // The starting cursor is just before the first rewound event: a drop resumes to them.
      const cursor = sse.records().find((r) => r.event === 'cursor');
      assert.equal(seqOf(cursor.id), seqOf(sse.events()[0].id) - 1);
      await h.hub.publish('rb', 'live');
      await until(() => sse.events().length === 4);
      sse.close();
      // A reconnect with a cursor resumes and never rewinds again.
      const resumed = await openSse(h.url('/sse?topic=ra&topic=rb&rewind=3'), {
        'Last-Event-ID': sse.events()[2].id,
      });
      await until(() => resumed.events().length === 1);
      await h.hub.publish('ra', 'after');
      await until(() => resumed.events().length === 2);
      assert.deepEqual(
        resumed.events().map((r) => JSON.parse(r.data)),
        ['live', 'after'],
      );
      resumed.close();

      const poll = await httpJson(h.url('/poll?topic=ra&topic=rc&rewind=2'));
      assert.deepEqual(
        poll.body.events.map((e) => e.data),
        ['a3', 'after'],
      );
      assert.equal(poll.body.cursor, poll.body.events.at(-1).id);

      const ws = await openWs(h.url('/ws').replace('http', 'ws'));
      ws.send({ type: 'subscribe', topics: ['rc'], rewind: 5, ref: 1 });
      await until(() => ws.of('message').length === 1);
      const subscribed = ws.of('subscribed')[0];
      assert.equal(subscribed.ref, 1);
      assert.equal(seqOf(subscribed.id), seqOf(ws.of('message')[0].id) - 1);
      assert.equal(ws.of('message')[0].data, 'c1');
      // With `since`, rewind is ignored.
      ws.send({ type: 'subscribe', topics: ['ra'], rewind: 5, since: await h.hub.latestId() });
      await h.hub.publish('ra', 'x');
      await until(() => ws.of('message').length === 2);
      assert.equal(ws.of('message')[1].data, 'x');
      // A bad value is refused before anything is held.
      ws.send({ type: 'subscribe', topics: ['rb'], rewind: -1, ref: 2 });
      await until(() => ws.of('error').length === 1);
      assert.equal(ws.of('error')[0].code, 'bad-frame');
      assert.match(ws.of('error')[0].message, /rewind/);
      ws.socket.close();
      for (const bad of ['-1', '1.5', 'x', '1e3']) {
        const res = await httpJson(h.url(`/sse?topic=ra&rewind=${bad}`));
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error, 'bad-rewind');
      }
      // Nothing kept: rewind starts from now, with the newest cursor.
      const empty = await httpJson(h.url('/poll?topic=never&rewind=3'));
      assert.deepEqual(empty.body, { events: [], cursor: await h.hub.latestId() });
    });

    test('hub.history with since pages through a backlog past maxReplay (no too-many)', async () => {
      // A page is bounded by its limit: a backlog longer than maxReplay answered reset
      // too-many with no events, so a server could never read on from its cursor.
      const h = await hubWith({ maxReplay: 6 });
      const start = await h.hub.latestId();
      for (let i = 0; i < 10; i++) await h.hub.publish(i % 2 ? 'pa' : 'pb', i);
      const read = [];
      let cursor = start;
      for (let pages = 0; pages < 20; pages++) {
        const page = await h.hub.history(['pa', 'pb'], { since: cursor, limit: 4 });
        assert.equal(page.reset, undefined, JSON.stringify(page));
        read.push(...page.events.map((e) => e.data));
        if (page.cursor === cursor) break;
        cursor = page.cursor;
      }
      assert.deepEqual(read, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(cursor, await h.hub.latestId());
      // Without a limit, the first maxReplay, and a cursor to read on from.
      const all = await h.hub.history(['pa', 'pb'], { since: start });
      assert.deepEqual(
        all.events.map((e) => e.data),
        [0, 1, 2, 3, 4, 5],
      );
      assert.equal(all.cursor, all.events.at(-1).id);
      // A resume over SSE still gets too-many.
      const sse = await openSse(h.url('/sse?topic=pa&topic=pb'), { 'Last-Event-ID': start });
      await until(() => sse.records().some((r) => r.event === 'reset'));
      assert.match(sse.records().find((r) => r.event === 'reset').data, /too-many/);
      sse.close();
    });

    test("rewind and hub.history name each event's topic on every transport", async () => {
      // Redis's recent read left the topic out (its stream key names it): SSE sent `event: `
      // (an <sse-feed> listening by topic heard nothing), poll and WebSocket sent topic "".
      const h = await hubWith();
      await h.hub.publish('ta', 'a1');
      await h.hub.publish('tb', 'b1');
      const topicsOf = (list) => list.map((e) => `${e.topic}:${e.data}`);
      assert.deepEqual(topicsOf((await h.hub.history(['ta', 'tb'])).events), ['ta:a1', 'tb:b1']);
      const poll = await httpJson(h.url('/poll?topic=ta&topic=tb&rewind=2'));
      assert.deepEqual(topicsOf(poll.body.events), ['ta:a1', 'tb:b1']);
      const ws = await openWs(h.url('/ws').replace('http', 'ws'));
      ws.send({ type: 'subscribe', topics: ['ta', 'tb'], rewind: 2 });
      await until(() => ws.of('message').length === 2);
      assert.deepEqual(topicsOf(ws.of('message')), ['ta:a1', 'tb:b1']);
      ws.socket.close();
      const sse = await openSse(h.url('/sse?topic=ta&topic=tb&rewind=2'));
      await until(() => sse.events().length === 2);
      assert.deepEqual(
        sse.events().map((r) => `${r.event}:${JSON.parse(r.data)}`),
        ['ta:a1', 'tb:b1'],
      );
      sse.close();
    });

    test('render with hub.history, subscribe from its cursor: nothing missed or repeated in between', async () => {
      const h = await hubWith();
      for (let i = 0; i < 5; i++) await h.hub.publish('render', i);
      const { events, cursor } = await h.hub.history('render', { limit: 3 });
      assert.deepEqual(
        events.map((e) => e.data),
        [2, 3, 4],
      );
      // Published between the render and the page's subscribe.
      await h.hub.publish('render', 5);
      await h.hub.publish('render', 6);
      const stream = await openSse(h.url('/sse?topic=render'), { 'Last-Event-ID': cursor });
      await until(() => stream.events().length === 2);
      await h.hub.publish('render', 7);
      await until(() => stream.events().length === 3);
      assert.deepEqual(
        stream.events().map((r) => JSON.parse(r.data)),
        [5, 6, 7],
      );
      stream.close();
      await assert.rejects(h.hub.history('bad topic!'), { code: 'bad-topic' });
      await assert.rejects(h.hub.history('render', { limit: -1 }), { code: 'bad-rewind' });
    });
  });
}

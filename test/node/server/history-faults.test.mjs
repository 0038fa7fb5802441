// Per-topic history under faults: SSE, WebSocket and long-poll subscribers of a quiet and a busy
// topic are cut at random points — most often in the middle of a replay — while the busy topic
// overruns its history; with Redis, the data set is also lost (FLUSHALL) mid-run. Every client
// must get each quiet event exactly once unless a reset named the quiet topic, never a duplicate
// or an out-of-order id, and then the final marker. Seeded: SEED=<n> replays the choices; the
// seed is printed on failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { sseRecords, startHub, until } from './hub-helpers.mjs';
import { startRedis } from './redis-helpers.mjs';
import { seeded } from './seeded.mjs';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seeded(seed);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const TOPICS = ['quiet', 'busy'];
const parse = (id) => {
  const dash = id.lastIndexOf('-');
  return { epoch: id.slice(0, dash), seq: Number(id.slice(dash + 1)) };
};

/** Records events and resets; checks order as they come (one id order per epoch). */
class Recorder {
  constructor(kind) {
    this.kind = kind;
    this.events = [];
    this.resets = [];
    this.problems = [];
    this.lastId = undefined;
    this.cuts = 0;
    this.stopped = false;
  }
  /** Cuts a connection after this many events: often early in a replay, sometimes never. */
  nextCut() {
    if (this.cuts >= 12) return Infinity;
    return this.cuts >= 3 && random() < 0.25 ? Infinity : Math.floor(random() * 400);
  }
  event(id, topic, data) {
    const last = this.lastId && parse(this.lastId);
    const now = parse(id);
    if (last && last.epoch === now.epoch && now.seq <= last.seq)
      this.problems.push(`${id} after ${this.lastId} (${topic} ${JSON.stringify(data)})`);
    if (last && last.epoch !== now.epoch && this.resets.at(-1)?.epoch !== now.epoch)
      this.problems.push(`${id}: a new epoch without a reset before it`);
    this.lastId = id;
    this.events.push({ id, topic, data });
  }
  reset(id, reason, topics) {
    this.lastId = id;
    this.resets.push({
      id,
      reason,
      topics: topics ?? TOPICS,
      epoch: parse(id).epoch,
      at: this.events.length,
    });
  }
  /**
   * The quiet events this client must have had: after the last reset that names the quiet topic
   * (if any), every published one after the reset's id, in its epoch.
   */
  expectedQuiet(published) {
    const last = this.resets.findLast((r) => r.topics.includes('quiet'));
    if (!last) return { from: 0, values: published.map((p) => p.data) };
    const { epoch, seq } = parse(last.id);
    return {
      from: last.at,
      values: published
        .filter((p) => parse(p.id).epoch === epoch && parse(p.id).seq > seq)
        .map((p) => p.data),
    };
  }
}

class SseClient extends Recorder {
  constructor(h) {
    super('sse');
    this.url = h.url(`/sse?topic=quiet&topic=busy`);
    this.connect();
  }
  connect() {
    if (this.stopped) return;
    const headers = this.lastId ? { 'Last-Event-ID': this.lastId } : {};
    const cutAfter = this.nextCut();
    let seen = 0;
    const req = (this.req = get(this.url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', () => setTimeout(() => this.connect(), 20));
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
        const end = text.lastIndexOf('\n\n');
        if (end < 0) return;
        const complete = text.slice(0, end + 2);
        text = text.slice(end + 2);
        for (const r of sseRecords(complete)) {
          if (req.destroyed) return;
          if (r.event === 'cursor') this.lastId = r.id;
          else if (r.event === 'reset') {
            const body = JSON.parse(r.data);
            this.reset(r.id, body.reason, body.topics);
          } else if (r.data !== undefined) {
            this.event(r.id, r.event, JSON.parse(r.data));
            if (++seen >= cutAfter) {
              this.cuts++;
              req.destroy();
              return;
            }
          }
        }
      });
      res.on('close', () => setTimeout(() => this.connect(), 10));
      res.on('error', () => {});
    }));
    req.on('error', () => setTimeout(() => this.connect(), 20));
  }
  stop() {
    this.stopped = true;
    this.req?.destroy();
  }
}

class WsClient extends Recorder {
  constructor(h) {
    super('ws');
    this.url = h.url('/ws').replace('http', 'ws');
    this.connect();
  }
  connect() {
    if (this.stopped) return;
    const socket = (this.socket = new WebSocket(this.url));
    const cutAfter = this.nextCut();
    let seen = 0;
    let dead = false;
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'subscribe', topics: TOPICS, since: this.lastId })),
    );
    socket.on('message', (raw) => {
      if (dead) return;
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'subscribed' && frame.id) this.lastId = frame.id;
      else if (frame.type === 'reset') this.reset(frame.id, frame.reason, frame.topics);
      else if (frame.type === 'message') {
        this.event(frame.id, frame.topic, frame.data);
        if (++seen >= cutAfter) {
          this.cuts++;
          dead = true;
          socket.terminate();
        }
      }
    });
    socket.on('close', () => setTimeout(() => this.connect(), 10));
    socket.on('error', () => {});
  }
  stop() {
    this.stopped = true;
    this.socket?.terminate();
  }
}

class PollClient extends Recorder {
  constructor(h) {
    super('poll');
    this.url = h.url('/poll?topic=quiet&topic=busy&timeout=500');
    void this.loop();
  }
  async loop() {
    while (!this.stopped) {
      const since = this.lastId ? `&since=${encodeURIComponent(this.lastId)}` : '';
      // A cut: the answer is thrown away unread (the client never learns it), as a drop would.
      const cut = this.cuts < 12 && random() < 0.2;
      try {
        const res = await fetch(this.url + since, { signal: AbortSignal.timeout(10_000) });
        if (res.status !== 200 || cut) {
          if (cut) this.cuts++;
          await res.body?.cancel();
          await pause(10);
          continue;
        }
        const body = await res.json();
        // The reset comes before the events that follow it.
        if (body.reset) {
          // Its id: the cursor itself for a `too-old` of some topics, `<epoch>-0` for a new
          // epoch's whole history, else the answer's cursor (nothing follows).
          let id = body.cursor;
          if (body.events.length)
            id =
              body.reset.reason === 'too-old' ? this.lastId : `${parse(body.events[0].id).epoch}-0`;
          this.reset(id, body.reset.reason, body.reset.topics);
        }
        for (const e of body.events) this.event(e.id, e.topic, e.data);
        this.lastId = body.cursor;
      } catch {
        await pause(10);
      }
    }
  }
  stop() {
    this.stopped = true;
  }
}

for (const kind of ['memory', 'redis']) {
  describe(`history under faults (${kind})`, () => {
    let redis;
    before(async () => {
      if (kind === 'redis') redis = await startRedis({ persistence: false });
    });
    after(async () => {
      await redis?.stop();
    });

    test(`random cuts during replay${kind === 'redis' ? ', data loss mid-run' : ''}: quiet events exactly once, no duplicate, in order (seed ${seed})`, async (t) => {
      const h = await startHub({
        history: { busy: { limit: 300 } },
        ...(redis ? { redis: redis.url } : {}),
      });
      const clients = [new SseClient(h), new WsClient(h), new PollClient(h)];
      const report = () =>
        `seed ${seed} (SEED=${seed} replays the choices)\n` +
        clients
          .map(
            (c) =>
              `${c.kind}: ${c.events.length} events, ${c.cuts} cuts, resets ${JSON.stringify(c.resets)}, problems ${c.problems.slice(0, 5).join('; ')}`,
          )
          .join('\n');
      try {
        await until(() => clients.every((c) => c.lastId), 30_000, 'every client started');
        const quiet = [];
        // Published in both epochs; the marker is the last quiet event.
        const lossAt = redis ? 1000 + Math.floor(random() * 2000) : -1;
        for (let i = 0; i < 4000; i++) {
          if (random() < 0.01) quiet.push(await h.hub.publish('quiet', `q${i}`));
          await h.hub.publish('busy', i);
          if (i === lossAt) {
            const admin = new Redis(redis.url);
            await admin.flushall();
            admin.disconnect();
          }
          if (random() < 0.02) await pause(Math.floor(random() * 30));
        }
        quiet.push(await h.hub.publish('quiet', 'marker'));
        await until(
          () => clients.every((c) => c.events.some((e) => e.data === 'marker')),
          60_000,
          'the marker at every client',
        ).catch((error) => {
          throw new Error(`${error.message}\n${report()}`);
        });
        for (const c of clients) {
          assert.deepEqual(c.problems, [], `${c.kind}: order\n${report()}`);
          const got = c.events.filter((e) => e.topic === 'quiet').map((e) => e.data);
          assert.equal(new Set(got).size, got.length, `${c.kind}: a quiet duplicate\n${report()}`);
          const expected = c.expectedQuiet(quiet);
          const since = c.events.slice(expected.from).filter((e) => e.topic === 'quiet');
          assert.deepEqual(
            since.map((e) => e.data),
            expected.values,
            `${c.kind}: quiet events\n${report()}`,
          );
          const busy = c.events.filter((e) => e.topic === 'busy').map((e) => e.id);
          assert.equal(new Set(busy).size, busy.length, `${c.kind}: a busy duplicate\n${report()}`);
          // The busy topic overran its 300 events while clients were cut: only it was named.
          for (const r of c.resets)
            if (r.reason === 'too-old')
              assert.deepEqual(r.topics, ['busy'], `${c.kind}: too-old names\n${report()}`);
        }
        t.diagnostic(report());
        assert.ok(
          clients.every((c) => c.cuts > 0),
          `every client was cut\n${report()}`,
        );
        if (redis)
          for (const c of clients)
            assert.ok(
              c.resets.some((r) => r.reason === 'epoch'),
              `${c.kind}: told of the lost data set\n${report()}`,
            );
      } finally {
        for (const c of clients) c.stop();
        await h.close();
      }
    });
  });
}

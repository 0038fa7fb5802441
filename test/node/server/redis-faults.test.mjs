// The hub under Redis faults, with a real redis-server (no persistence, so a restart loses the
// data set) and two hub processes. After each fault a marker is published; every subscriber on
// both hubs — SSE, WebSocket, long-poll — must have had every stored event exactly once, or a
// `reset`, and then the marker. Seeded: SEED=<n> replays a run; the seed is printed on failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { httpJson, openSse, until } from './hub-helpers.mjs';
import { startHubProcess, startRedis } from './redis-helpers.mjs';
import { PollClient, SseClient, WsClient } from './fault-clients.mjs';
import { seeded } from './seeded.mjs';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seeded(seed);
const pick = (list) => list[Math.floor(random() * list.length)];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const post = (hub, data) =>
  httpJson(hub.url('/publish?topic=faults'), { method: 'POST', body: JSON.stringify(data) }).catch(
    (error) => ({ status: 0, error }),
  );

/** The epoch of an event id (`<epoch>-<seq>`). */
const epochOf = (id) => id.slice(0, id.lastIndexOf('-'));

/** Publishes until one is stored (a fault may still be wearing off); its id. */
async function publishSurely(hubs, value) {
  let id;
  await until(
    async () => {
      const answer = await post(pick(hubs), value);
      id = answer.body?.id;
      return answer.status === 200;
    },
    30_000,
    `publish ${value}`,
  );
  return id;
}

test(`Redis faults: FLUSHALL, restart without persistence, restart from an older snapshot, SIGSTOP, CLIENT KILL (seed ${seed})`, async (t) => {
  const redis = await startRedis({ persistence: false });
  const hubs = [
    await startHubProcess(redis.url, 'hub-a'),
    await startHubProcess(redis.url, 'hub-b'),
  ];
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  const clients = hubs.flatMap((hub) => [
    new SseClient(hub, 'faults'),
    new WsClient(hub, 'faults'),
    new PollClient(hub, 'faults'),
  ]);
  /** Every stored value, with its id. */
  const stored = new Map();
  /**
   * Per client, the values of a lost data set it never had: its `reset` told it so (asserted
   * in that fault), so a later fault does not count them as missed.
   */
  const excused = new Map();
  const report = () =>
    clients
      .map(
        (c) =>
          `${c.name}: ${c.received.length} events, resets [${c.resets}], last ${c.received.at(-1)} at ${c.lastId}`,
      )
      .concat(hubs.map((hub) => `log of ${hub.origin}:\n${hub.log}`))
      .join('\n');
  /** The state of every client and hub, added when a wait fails (not when it starts). */
  const withReport = (error) => {
    error.message += `\n${report()}`;
    throw error;
  };
  try {
    await until(() => clients.every((c) => c.lastId), 20_000, 'every client has a cursor');

    const faults = {
      async flushall() {
        await admin.connect().catch(() => {});
        await admin.flushall();
        admin.disconnect();
        return { lost: true };
      },
      async 'restart without persistence'() {
        await redis.kill();
        // Input 3: while Redis is down, every endpoint of both hubs answers 503 + Retry-After.
        for (const hub of hubs) {
          await until(
            async () => (await post(hub, 'refused')).status === 503,
            30_000,
            'the hub notices Redis is down',
          );
          const published = await post(hub, 'refused');
          assert.equal(published.body.error, 'unavailable');
          assert.ok(Number(published.headers['retry-after']) >= 1, 'Retry-After on publish');
          for (const path of ['/sse?topic=faults', '/poll?topic=faults', '/health']) {
            const answer = await fetch(hub.url(path));
            assert.equal(answer.status, 503, path);
            assert.ok(Number(answer.headers.get('retry-after')) >= 1, `Retry-After on ${path}`);
            assert.equal((await answer.json()).error, 'unavailable', path);
          }
        }
        await redis.restart({ empty: true });
        return { lost: true };
      },
      async 'restart from an older snapshot'() {
        // SAVE now, publish more, then restart: Redis comes back with the snapshot, its
        // counter below ids that were already delivered.
        await admin.connect().catch(() => {});
        await admin.save();
        admin.disconnect();
        for (let i = 0; i < 3; i++) {
          const value = `after-snapshot#${i}`;
          const answer = await post(pick(hubs), value);
          assert.equal(answer.status, 200);
          stored.set(value, answer.body.id);
        }
        await until(() => clients.every((c) => c.has('after-snapshot#2')), 20_000).catch(
          withReport,
        );
        await redis.kill();
        await redis.restart();
        return { lost: true };
      },
      async 'SIGSTOP for 5 s'() {
        redis.pause();
        // A publish meanwhile must not hang: it is stored later or refused, never both silently.
        const during = post(pick(hubs), 'during-pause');
        await pause(5000);
        redis.resume();
        const answer = await during;
        assert.ok([200, 503].includes(answer.status), `publish during the pause: ${answer.status}`);
        if (answer.status === 200) stored.set('during-pause', answer.body.id);
        return { lost: false };
      },
      async 'CLIENT KILL of one hub'() {
        await admin.connect().catch(() => {});
        const victim = pick(['hub-a', 'hub-b']);
        const list = await admin.client('LIST');
        const ids = list
          .split('\n')
          .filter((line) => line.includes(` name=${victim} `))
          .map((line) => /id=(\d+)/.exec(line)[1]);
        assert.ok(ids.length >= 1, `connections of ${victim}`);
        for (const id of ids) await admin.client('KILL', 'ID', id);
        admin.disconnect();
        return { lost: false };
      },
    };
    // FAULTS=flushall,… runs only those (for debugging); the order is seeded.
    const only = process.env.FAULTS?.split(',');
    const order = Object.keys(faults)
      .filter((fault) => !only || only.includes(fault))
      .sort(() => random() - 0.5);
    let oldCursor;
    for (const fault of order) {
      await t.test(fault, async () => {
        const resetsBefore = clients.map((c) => c.resets.length);
        const values = Array.from(
          { length: 2 + Math.floor(random() * 6) },
          (_, i) => `${fault}#${i}`,
        );
        for (const value of values) {
          const { status, body } = await post(pick(hubs), value);
          assert.equal(status, 200, `publish ${value}`);
          stored.set(value, body.id);
        }
        await until(
          () => clients.every((c) => values.every((v) => c.has(v))),
          20_000,
          `every client has the events before ${fault}`,
        ).catch(withReport);
        oldCursor = clients[0].lastId;
        // Publishes keep coming through the fault, at seeded intervals; those stored count.
        let flowing = true;
        const traffic = (async () => {
          for (let i = 0; flowing; i++) {
            const value = `${fault}~${i}`;
            const answer = await post(pick(hubs), value);
            if (answer.status === 200) stored.set(value, answer.body.id);
            await pause(5 + Math.floor(random() * 40));
          }
        })();
        const { lost } = await faults[fault]().finally(() => (flowing = false));
        await traffic;
        const marker = `${fault}#marker`;
        const markerId = await publishSurely(hubs, marker);
        stored.set(marker, markerId);
        await until(
          () => clients.every((c) => c.has(marker)),
          30_000,
          `every client has the marker after ${fault}`,
        ).catch(withReport);
        for (const [i, client] of clients.entries()) {
          const counts = new Map();
          for (const value of client.received) counts.set(value, (counts.get(value) ?? 0) + 1);
          const twice = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
          assert.deepEqual(twice, [], `${client.name} got events twice`);
          const reset = client.resets.length > resetsBefore[i];
          if (lost) assert.ok(reset, `${client.name} was told of the lost data set (reset)`);
          else assert.ok(!reset, `${client.name} got a reset though nothing was lost`);
          // What a client must have: every value of the current data set (the marker's epoch),
          // and, without a reset, every older one it was not excused. Values of a lost data set
          // published just before the loss may never have reached it (a poll between two
          // requests, say): its reset covers them.
          const excuse = excused.get(client) ?? new Set();
          const epoch = epochOf(markerId);
          const missing = [...stored]
            .filter(([v]) => !client.has(v) && !excuse.has(v))
            .filter(([, id]) => !reset || epochOf(id) === epoch)
            .map(([v]) => v);
          assert.deepEqual(missing, [], `${client.name} missed stored events`);
          if (reset) {
            for (const [v, id] of stored)
              if (!client.has(v) && epochOf(id) !== epoch) excuse.add(v);
            excused.set(client, excuse);
          }
        }
        if (lost) {
          // A client returning with a cursor of the lost data set is told so.
          const returning = await openSse(hubs[1].url('/sse?topic=faults'), {
            'Last-Event-ID': oldCursor,
          });
          await until(() => returning.records().some((r) => r.event === 'reset'), 30_000);
          assert.equal(
            JSON.parse(returning.records().find((r) => r.event === 'reset').data).reason,
            'epoch',
          );
          returning.close();
        }
      });
    }
    // The operator hears of each outage once (down, then up), not once per refused request.
    for (const hub of hubs) {
      const downs = hub.log.match(/store down/g)?.length ?? 0;
      const ups = hub.log.match(/store up again/g)?.length ?? 0;
      if (only) continue;
      assert.ok(downs >= 1 && downs <= 3, `store down logged ${downs} times:\n${hub.log}`);
      assert.equal(ups, downs, `each outage's end is logged:\n${hub.log}`);
      assert.match(hub.log, /lost its data set: new epoch/);
    }
  } catch (error) {
    error.message += `\n(seed ${seed}: SEED=${seed} node --test ${import.meta.filename})`;
    throw error;
  } finally {
    for (const client of clients) client.stop();
    await Promise.all(hubs.map((hub) => hub.stop()));
    await redis.stop();
  }
});

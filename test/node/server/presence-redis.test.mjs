// Hub presence (issue #27) across hub processes on a real redis-server: per user across
// processes, a SIGKILLed process's members leave within presenceTtl * 4 / 3, FLUSHALL and a
// Redis that restarts empty are rebuilt by the renewals, hub.disconnect from another process.
// Uses dist/: run `npm run build` first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, until } from './hub-helpers.mjs';
import { startRedis, startHubProcess } from './redis-helpers.mjs';
import { sseView, wsView } from './presence-clients.mjs';
import { Redis } from 'ioredis';

// Small, so the test runs in seconds: members of a killed process leave within 1.6 s. The other
// tests take a longer one: a process stalled past its TTL by the load of this shared machine
// would rightly look dead, and a leave they do not expect would follow.
const presenceTtl = 1200;
const bound = (presenceTtl * 4) / 3;
const options = { presence: ['room:'], presenceTtl, maxPresenceMembers: 50 };
const relaxed = { ...options, presenceTtl: 4000 };

let redis;
before(async () => {
  redis = await startRedis({ persistence: false });
});
after(async () => {
  await redis?.stop();
});

const names = (members) => members.map((m) => m.user).sort();

test(
  'three users, one with two connections on two processes, over SSE and WebSocket; a process killed with SIGKILL: its members leave within presenceTtl * 4 / 3',
  { timeout: 60_000 },
  async () => {
    const a = await startHubProcess(redis.url, 'presence-a', options);
    const b = await startHubProcess(redis.url, 'presence-b', options);
    // A third hub in this process reads hub.presence across them.
    const reader = await startHub({ redis: redis.url, ...options });
    try {
      const watchB = await sseView(b.url, 'room:1', 'watch-b');
      await until(() => watchB.snapshots === 1, 15_000, 'watch-b snapshot');
      const aliceA = await sseView(a.url, 'room:1', 'alice', { name: 'Alice' });
      const aliceB = await wsView(b.url, 'room:1', 'alice', { name: 'Alice' });
      const bob = await wsView(b.url, 'room:1', 'bob');
      const carol = await wsView(a.url, 'room:1', 'carol', { name: 'Carol' });
      const watchA = await wsView(a.url, 'room:1', 'watch-a');
      const everyone = ['alice', 'bob', 'carol', 'watch-a', 'watch-b'];
      for (const view of [watchB, aliceA, aliceB, bob, carol, watchA]) {
        await until(() => view.users().join() === everyone.join(), 15_000, `${view.user} sees all`);
      }
      assert.deepEqual(names(await reader.hub.presence('room:1')), everyone);
      assert.deepEqual(watchB.members.get('alice'), { name: 'Alice' });
      // alice joined on both processes: one join each view, not two.
      assert.deepEqual(
        watchB.log.filter((m) => m.user === 'alice').map((m) => m.action),
        ['join'],
      );

      // alice's connection on A closes: she stays (her B connection). bob leaving is the sentinel.
      aliceA.close();
      bob.close();
      await until(() => !watchB.members.has('bob'), 15_000, 'bob leave');
      assert.ok(watchB.members.has('alice'));

      // Kill A: carol and watch-a (only on A) leave within the bound; alice (also on B) stays.
      const killed = performance.now();
      a.kill();
      await until(
        () => !watchB.members.has('carol') && !watchB.members.has('watch-a'),
        15_000,
        'members of the killed process leave',
      );
      const took = performance.now() - killed;
      console.log(
        `members of a SIGKILLed process left after ${Math.round(took)} ms (bound ${bound} ms)`,
      );
      // The bound plus a scheduling allowance for this loaded 2-core machine.
      assert.ok(took <= bound + 1500, `took ${took} ms, bound ${bound} ms`);
      assert.deepEqual(watchB.users(), ['alice', 'watch-b']);
      assert.deepEqual(names(await reader.hub.presence('room:1')), ['alice', 'watch-b']);
      assert.deepEqual(watchB.faults, []);
      assert.deepEqual(aliceB.faults, []);
      aliceB.close();
      watchB.close();
      await until(
        async () => (await reader.hub.presence('room:1')).length === 0,
        15_000,
        'all gone',
      );
    } finally {
      a.kill();
      await b.stop();
      await reader.close();
    }
  },
);

test(
  'FLUSHALL and a Redis restarted empty: presence is rebuilt by the renewals, views see no leave of a member still there',
  { timeout: 60_000 },
  async () => {
    const a = await startHubProcess(redis.url, 'presence-a2', relaxed);
    const b = await startHubProcess(redis.url, 'presence-b2', relaxed);
    const reader = await startHub({ redis: redis.url, ...relaxed });
    try {
      const watch = await wsView(b.url, 'room:2', 'watch');
      const x = await sseView(a.url, 'room:2', 'x', { n: 1 });
      const y = await wsView(a.url, 'room:2', 'y');
      const all = ['watch', 'x', 'y'];
      await until(() => watch.users().join() === all.join(), 15_000, 'all seen');
      const admin = new Redis(redis.url);
      await admin.flushall();
      assert.deepEqual(await admin.keys('*pr:room:2'), []);
      await until(
        async () => names(await reader.hub.presence('room:2')).join() === all.join(),
        15_000,
        'rebuilt after FLUSHALL',
      );
      admin.disconnect();
      assert.deepEqual((await reader.hub.presence('room:2')).find((m) => m.user === 'x').info, {
        n: 1,
      });
      assert.ok(!watch.log.some((m) => m.action === 'leave'), JSON.stringify(watch.log));

      await redis.kill();
      await redis.restart({ empty: true });
      await until(
        async () =>
          names(await reader.hub.presence('room:2').catch(() => [])).join() === all.join(),
        30_000,
        'rebuilt after an empty restart',
      );
      // A change after the restart still reaches every view (Pub/Sub resubscribed).
      const z = await sseView(b.url, 'room:2', 'z');
      await until(
        () => watch.members.has('z') && x.members.has('z'),
        20_000,
        'z join after restart',
      );
      y.close();
      await until(
        () => !watch.members.has('y') && !x.members.has('y'),
        20_000,
        'y leave after restart',
      );
      assert.deepEqual(watch.users(), ['watch', 'x', 'z']);
      for (const view of [watch, x, z]) assert.deepEqual(view.faults, []);
      for (const view of [watch, x, z]) view.close();
    } finally {
      await a.stop();
      await b.stop();
      await reader.close();
    }
  },
);

test(
  'hub.disconnect on another process and a leave racing a join of the same user across processes (seeded)',
  { timeout: 60_000 },
  async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    let state = seed;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const a = await startHubProcess(redis.url, 'presence-a3', relaxed);
    const b = await startHubProcess(redis.url, 'presence-b3', relaxed);
    const reader = await startHub({ redis: redis.url, ...relaxed });
    try {
      const watch = await sseView(b.url, 'room:3', 'watch');
      await until(() => watch.snapshots === 1, 15_000, 'snapshot');
      // The same user moves between processes: a close on one and an open on the other at once.
      const hubs = [a, b];
      let current = await wsView(a.url, 'room:3', 'mover');
      for (let i = 0; i < 12; i++) {
        const next = (random() < 0.5 ? wsView : sseView)(hubs[(i + 1) % 2].url, 'room:3', 'mover');
        if (random() < 0.5) current.close();
        const opened = await next;
        current.close();
        current = opened;
        if (random() < 0.5) await new Promise((resolve) => setTimeout(resolve, random() * 30));
      }
      await until(
        async () => names(await reader.hub.presence('room:3')).join() === 'mover,watch',
        15_000,
        'mover present once',
      );
      await until(() => watch.users().join() === 'mover,watch', 15_000, 'watch agrees');
      // Disconnected from the other process: the member leaves everywhere.
      const victim = await wsView(a.url, 'room:3', 'victim');
      await until(() => watch.members.has('victim'), 15_000, 'victim join');
      const response = await fetch(`${b.origin}/disconnect?user=victim`, { method: 'POST' });
      assert.equal(response.status, 200);
      await until(() => !watch.members.has('victim'), 15_000, 'victim leave');
      await victim.ws.closed;
      assert.deepEqual(watch.faults, []);
      current.close();
      await until(() => !watch.members.has('mover'), 15_000, 'mover leave');
      watch.close();
    } catch (error) {
      error.message = `${error.message} (SEED=${seed})`;
      throw error;
    } finally {
      await a.stop();
      await b.stop();
      await reader.close();
    }
  },
);

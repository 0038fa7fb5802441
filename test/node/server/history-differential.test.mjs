// The memory store and the Redis store must answer alike: the same seeded sequence of publishes
// and `hub.history` calls (with or without `since`, `limit`, over overlapping prefix overrides,
// a '' prefix and a `limit: 0` topic) goes to a memory hub and to a hub on a real redis-server,
// and every answer is compared (ids by seq: the epochs differ).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHub } from '../../../dist/server/index.js';
import { startRedis } from './redis-helpers.mjs';
import { seeded } from './seeded.mjs';

const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));

let redis;
before(async () => {
  redis = await startRedis({ persistence: false });
});
after(async () => {
  await redis?.stop();
});

const seqOf = (id) => id.slice(id.lastIndexOf('-') + 1);
const epochOf = (id) => id.slice(0, id.lastIndexOf('-'));
/** An answer with its epochs left out, or the error's code. */
const plain = (answer) =>
  answer instanceof Error
    ? { error: answer.code ?? answer.message }
    : {
        ...answer,
        events: answer.events.map((e) => `${seqOf(e.id)}:${e.topic}:${JSON.stringify(e.data)}`),
        cursor: seqOf(answer.cursor),
      };

test(`memory and Redis give the same hub.history answers (seed ${seed}: SEED=${seed} replays this run)`, async () => {
  const random = seeded(seed);
  const options = {
    history: {
      default: { limit: 5 },
      '': { limit: 3 },
      a: { limit: 2 },
      'a:b': { limit: 0 },
      c: { limit: 4 },
    },
    maxReplay: 6,
  };
  const memory = createHub(options);
  const onRedis = createHub({ ...options, redis: { url: redis.url, prefix: 'diff' } });
  try {
    const topics = ['a', 'a:b', 'a:c', 'b', 'c', 'cc', 'd'];
    const pick = () => topics[Math.floor(random() * topics.length)];
    let last = 0;
    for (let step = 0; step < 300; step++) {
      if (random() < 0.5) {
        const topic = pick();
        const [m, r] = await Promise.all([
          memory.publish(topic, step),
          onRedis.publish(topic, step),
        ]);
        assert.equal(m.seq, r.seq, `seq of step ${step} (seed ${seed})`);
        last = m.seq;
        continue;
      }
      const list = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, pick))];
      const query = {};
      if (random() < 0.5) query.limit = Math.floor(random() * 9);
      // A cursor anywhere, a few past the newest (a future id) included.
      const since = random() < 0.6 ? Math.floor(random() * (last + 3)) : undefined;
      const ask = async (hub) => {
        try {
          const epoch = epochOf(await hub.latestId());
          return await hub.history(
            list,
            since === undefined ? query : { ...query, since: `${epoch}-${since}` },
          );
        } catch (error) {
          return error;
        }
      };
      assert.deepEqual(
        plain(await ask(onRedis)),
        plain(await ask(memory)),
        `step ${step}: history(${JSON.stringify(list)}, ${JSON.stringify({ ...query, since })}) (seed ${seed})`,
      );
    }
  } finally {
    await memory.close();
    await onRedis.close();
  }
});

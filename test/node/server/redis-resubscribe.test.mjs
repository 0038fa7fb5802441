// A hub's Pub/Sub connection that comes back and is refused SUBSCRIBE (an ACL change) must not
// crash the process with an unhandled rejection: ioredis's own resubscribe has no handler
// (redis/ioredis#2187), so the store resubscribes itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { openSse, startHub, until } from './hub-helpers.mjs';
import { startRedis } from './redis-helpers.mjs';

test('SUBSCRIBE refused after a reconnect: no unhandled rejection; subscribed again once allowed', async () => {
  const unhandled = [];
  const record = (error) => unhandled.push(String(error));
  process.on('unhandledRejection', record);
  const redis = await startRedis({ persistence: false });
  const raw = new Redis(redis.url);
  try {
    await raw.acl('SETUSER', 'hub', 'on', '>pw', '~*', '&*', '+@all');
    const h = await startHub({
      redis: { url: redis.url.replace('redis://', 'redis://hub:pw@'), prefix: 'acl' },
    });
    try {
      const stream = await openSse(h.url('/sse?topic=a'));
      await until(() => stream.records().some((r) => r.event === 'cursor'), 15_000, 'cursor');
      await until(
        async () => (await raw.pubsub('NUMSUB', '{acl}:live'))[1] === 1,
        15_000,
        'subscribed',
      );
      // Redis 7 drops the subscribed connection itself when its channels are revoked.
      await raw.acl('SETUSER', 'hub', 'resetchannels');
      await raw.client('KILL', 'TYPE', 'pubsub');
      await until(
        async () => String(await raw.acl('LOG')).includes('channel'),
        15_000,
        'the refused SUBSCRIBE',
      );
      // Refused publishes are a clear 503, not a crash. Their PUBLISH fails after the writes:
      // stored all the same (as when only the answer is lost), found by the gap fill later.
      await assert.rejects(h.hub.publish('a', 'refused'), { code: 'unavailable' });
      await assert.rejects(h.hub.publish(['a', 'b'], 'refused 2'), { code: 'unavailable' });
      await raw.acl('SETUSER', 'hub', '&*');
      // The store subscribes again on its own, and live events flow.
      await until(
        async () => (await raw.pubsub('NUMSUB', '{acl}:live'))[1] === 1,
        15_000,
        'subscribed again',
      );
      await h.hub.publish('a', 'after');
      await until(
        () => stream.events().some((e) => e.data === '"after"'),
        15_000,
        'the event after the ACL fix',
      );
      assert.deepEqual(
        stream.events().map((e) => JSON.parse(e.data)),
        ['refused', 'refused 2', 'after'],
      );
      // The multi-topic publish stored both topics (all or nothing, even with PUBLISH refused).
      const { events } = await h.hub.history(['b']);
      assert.deepEqual(
        events.map((e) => e.data),
        ['refused 2'],
      );
      assert.deepEqual(unhandled, []);
      stream.close();
    } finally {
      await h.close();
    }
  } finally {
    process.off('unhandledRejection', record);
    raw.disconnect();
    await redis.stop();
  }
});

// The hub's `history` option is checked when the hub is created: a typo must not be ignored
// without a word (a prefix given a number, a misspelt bound), as a bad number already was not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHub } from '../../../dist/server/index.js';

test('a history option that is not { default, <prefix>: { limit, bytes, ttl } } throws at creation', async () => {
  for (const history of [
    { 'chat:': 500 },
    { default: { limt: 5 } },
    { prices: { limit: 1, age: 10 } },
    { default: null },
    100,
    null,
    [{ limit: 1 }],
  ]) {
    assert.throws(() => createHub({ history }), TypeError, JSON.stringify(history));
  }
  assert.throws(() => createHub({ history: { a: { limit: -1 } } }), /limit must be a whole number/);
  // What is right still works: overlapping prefixes, a '' prefix, an undefined entry.
  const hub = createHub({
    history: { default: { limit: 2 }, '': { limit: 3 }, a: { ttl: 1000 }, 'a:b': undefined },
  });
  for (let i = 0; i < 5; i++) await hub.publish('x', i);
  assert.deepEqual(
    (await hub.history('x')).events.map((e) => e.data),
    [2, 3, 4],
  );
  await hub.close();
});

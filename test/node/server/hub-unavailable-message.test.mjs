// A store error's message ends with a period ("Redis is not reachable."); the hub's 503 wrapped
// it as "The store is unavailable: Redis is not reachable.. Try again later." — the body a page
// shows. Redis here is a closed loopback port: no server needed, answered within 2 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../free-port.mjs';
import { startHub } from './hub-helpers.mjs';

test('503 unavailable: the store error reads as one sentence inside the message', async () => {
  const port = await freePort();
  const h = await startHub({ redis: `redis://127.0.0.1:${port}` });
  try {
    const response = await fetch(h.url('/publish?topic=t'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '1',
    });
    assert.equal(response.status, 503);
    const { error, message } = await response.json();
    assert.equal(error, 'unavailable');
    assert.doesNotMatch(message, /\.\./, message);
    assert.match(message, /^The store is unavailable: Redis is not reachable\. Try again later\.$/);
  } finally {
    await h.close();
  }
});

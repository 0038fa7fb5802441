// Issue #24 red team: grants whose expiresAt is not a time fail closed (never a stream that
// cannot expire). Uses dist/: run `npm run build` first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, httpJson, openWs } from './hub-helpers.mjs';

test(
  'authorize returning expiresAt NaN, a string or seconds (a JWT exp): refused (403, 4401 on WebSocket) and logged, never a stream without end or a refresh loop',
  { timeout: 30_000 },
  async () => {
    for (const expiresAt of [NaN, '2030-01-01T00:00:00Z', Math.floor(Date.now() / 1000) + 3600]) {
      const warnings = [];
      const h = await startHub({
        authorize: () => ({ user: 'u', expiresAt }),
        logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
      });
      const label = String(expiresAt);
      assert.equal((await httpJson(h.url('/sse?topic=a'))).status, 403, label);
      assert.equal((await httpJson(h.url('/poll?topic=a'))).status, 403, label);
      const ws = await openWs(h.url('/ws').replace('http', 'ws'));
      ws.send({ type: 'auth', token: 't' });
      assert.deepEqual(await ws.closed, { code: 4401, reason: 'unauthorized' }, label);
      assert.ok(
        warnings.some(
          (m) =>
            m.includes('expiresAt') &&
            (typeof expiresAt !== 'number' ||
              expiresAt > 1e12 ||
              Number.isNaN(expiresAt) ||
              m.includes('seconds')),
        ),
        `${label}: ${JSON.stringify(warnings)}`,
      );
      await h.close();
    }
  },
);

test(
  'expiresAt Infinity is a grant that never expires (a number, not a mistake)',
  { timeout: 20_000 },
  async () => {
    const h = await startHub({ authorize: () => ({ user: 'u', expiresAt: Infinity }) });
    const ws = await openWs(h.url('/ws').replace('http', 'ws'));
    ws.send({ type: 'auth', token: 't' });
    ws.send({ type: 'subscribe', topics: ['a'], ref: 1 });
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        if (ws.of('subscribed').length) resolve(clearInterval(timer));
      }, 10);
    });
    assert.equal(ws.of('subscribed').length, 1);
    ws.socket.close();
    await h.close();
  },
);

// Red team: the README mounts the hub in Express; a typical app has `express.json()` (or
// `express.text()`) first, which takes the request stream before the hub sees it. HTTP publish
// then answered `500 internal` for every request. The hub now uses the parsed `req.body`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import express from 'express';
import { createHub } from '../../../dist/server/index.js';
import { httpJson, openSse, until } from './hub-helpers.mjs';

async function appWith(...parsers) {
  const lines = [];
  const logger = { info: (line) => lines.push(line), warn: (line) => lines.push(line) };
  const hub = createHub({ maxPayload: 64, logger });
  const app = express();
  for (const parser of parsers) app.use(parser);
  app.use((req, res, next) => (hub.handleRequest(req, res) ? undefined : next()));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}/realtime`;
  return {
    lines,
    url: (path) => `${base}${path}`,
    async close() {
      await hub.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

for (const [name, parsers] of [
  ['express.json()', [express.json()]],
  ['express.text({ type: "*/*" })', [express.text({ type: '*/*' })]],
  ['express.raw({ type: "*/*" })', [express.raw({ type: '*/*' })]],
  ['no parser', []],
]) {
  test(`HTTP publish through Express with ${name} before the hub`, async () => {
    const app = await appWith(...parsers);
    try {
      const stream = await openSse(app.url('/sse?topic=parsed'));
      const published = await httpJson(app.url('/publish?topic=parsed'), {
        method: 'POST',
        body: { n: 1, text: 'é' },
      });
      assert.equal(published.status, 200, JSON.stringify(published.body));
      await until(() => stream.events().some((e) => e.event === 'parsed'), 5000, 'the event');
      const event = stream.events().find((e) => e.event === 'parsed');
      assert.deepEqual(JSON.parse(event.data), { n: 1, text: 'é' });
      stream.close();
      // The hub's limit holds for a body a parser read: 413, not a publish.
      const big = await httpJson(app.url('/publish?topic=parsed'), {
        method: 'POST',
        body: { text: 'x'.repeat(100) },
      });
      assert.equal(big.status, 413);
      assert.equal(big.body.error, 'too-large');
    } finally {
      await app.close();
    }
  });
}

// A middleware that drains the body and keeps nothing left the publish waiting for an `end` that
// had already come: the request hung. Now: 500 at once, and the hub's log says why.
test(
  'HTTP publish after a middleware that read the body and kept nothing: 500 at once, logged',
  { timeout: 20_000 },
  async () => {
    const drain = (req, res, next) => {
      req.on('data', () => {});
      req.on('end', () => next());
    };
    const app = await appWith(drain);
    try {
      const published = await httpJson(app.url('/publish?topic=parsed'), {
        method: 'POST',
        body: { n: 1 },
      });
      assert.equal(published.status, 500);
      assert.equal(published.body.error, 'internal');
      assert.ok(
        app.lines.some((line) =>
          /500 internal for POST \/realtime\/publish: .*read before/.test(line),
        ),
        app.lines.join('\n'),
      );
    } finally {
      await app.close();
    }
  },
);

/**
 * A "load balancer" in the test runner's own server, for the drain tests in the browser: two
 * hubs (`/lb`) on one memory store; every request goes to the first until it is drained, then
 * (as a balancer whose health check saw `/health` turn 503) to the second — or, with `lag`, to
 * the first for `lag` ms more, so clients bounce off its `503 draining`. A third hub (`/gz`)
 * compresses everything (`compression: { threshold: 0 }`).
 * Commands: `drain-reset` (a fresh pair), `drain-run` `{ within, lag }` (resolves when the drain
 * settled), `drain-publish` `{ topic, from, count, pause }`, `drain-stats`, `gz-publish`
 * `{ topic, data }`, `gz-drain` (ends the /gz streams).
 * Each engine has its own hubs (Firefox and WebKit run side by side: one's reset or drain must
 * not end the other's streams); a request's engine is told by its User-Agent.
 */
import { createHub, MemoryStore } from '../../dist/server/index.js';
import { engineOf } from '../engines.mjs';
import { engineOfRequest } from './hub-plugin.mjs';

export function drainPlugin() {
  /** Per engine: the pair of hubs, and the compressing hub. */
  const pairs = new Map();
  const compressed = new Map();
  const fresh = () => {
    const store = new MemoryStore({ historyLimit: 10_000 });
    const options = { basePath: '/lb', store, retry: 200, keepAliveInterval: 1000 };
    return { store, hubs: [createHub(options), createHub(options)], switchAt: Infinity };
  };
  const gz = (engine) => {
    if (!compressed.has(engine))
      compressed.set(engine, createHub({ basePath: '/gz', compression: { threshold: 0 } }));
    return compressed.get(engine);
  };
  /** The hub a new request goes to. */
  const target = (pair) => pair.hubs[Date.now() >= pair.switchAt ? 1 : 0];
  return {
    name: 'drain-hubs',
    middleware(context, next) {
      const { req, res } = context;
      const engine = engineOfRequest(req);
      const pair = req.url.startsWith('/lb/') && pairs.get(engine);
      const handled = pair
        ? target(pair).handleRequest(req, res)
        : req.url.startsWith('/gz/') && gz(engine).handleRequest(req, res);
      if (!handled) return next();
      context.respond = false;
      if (!res.headersSent) res.statusCode = 200;
    },
    serverStart({ server }) {
      server.on('upgrade', (req, socket, head) => {
        const engine = engineOfRequest(req);
        const pair = pairs.get(engine);
        if (req.url.startsWith('/lb/') && pair) target(pair).handleUpgrade(req, socket, head);
        else if (req.url.startsWith('/gz/')) gz(engine).handleUpgrade(req, socket, head);
      });
    },
    async serverStop() {
      const hubs = [...pairs.values()].flatMap((pair) => pair.hubs);
      await Promise.all([...hubs, ...compressed.values()].map((h) => h.close()));
    },
    async executeCommand({ command, payload = {}, session }) {
      const engine = engineOf(session.browser);
      const pair = pairs.get(engine);
      switch (command) {
        case 'drain-reset':
          await Promise.all((pair?.hubs ?? []).map((h) => h.close()));
          pairs.set(engine, fresh());
          return true;
        case 'drain-run': {
          const drained = pair.hubs[0].drain({ within: payload.within });
          pair.switchAt = Date.now() + (payload.lag ?? 0);
          await drained;
          return true;
        }
        case 'drain-publish': {
          const from = payload.from ?? 1;
          for (let n = from; n < from + payload.count; n++) {
            await pair.hubs[n % 2].publish(payload.topic, n);
            if (payload.pause) await new Promise((resolve) => setTimeout(resolve, payload.pause));
          }
          return true;
        }
        case 'drain-stats':
          return pair.hubs.map((h) => h.stats());
        case 'gz-publish':
          return (await gz(engine).publish(payload.topic, payload.data)).id;
        case 'gz-drain':
          await gz(engine).drain({ within: 0 });
          // A new hub for later tests: this one now refuses everything.
          await gz(engine).close();
          compressed.delete(engine);
          return true;
        default:
          return undefined;
      }
    },
  };
}

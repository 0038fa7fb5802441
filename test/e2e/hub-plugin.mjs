/**
 * Mounts real hubs in the test runner's own server (same origin as the test pages), plus
 * commands to publish from the server side, read stats and cut connections:
 * - /realtime: the main hub, defaults but for a long history;
 * - /secure: `authorize` accepts the auth token "good" and refuses "secret" topics without it;
 * - /strict: allows no browser origin (4403);
 * - /limited: 5 frames a second (4429);
 * - /expiring: tokens minted by the `hub-token` command (`ms` of life), sent as
 *   `Authorization: Bearer …` (SSE, poll) or in the `auth` frame; `authorize` returns
 *   `{ user, expiresAt }`, so the hub expires them. `hub-expiring-publish` publishes numbered
 *   events there, `hub-disconnect` ends the connections of a user.
 * - /presence: presence on `room-` topics, the user being the auth token or `?user=`.
 * The `hub-other-origin` command starts hubs on a server of their own (127.0.0.1, another port:
 * another origin than the test page): /realtime with the default origin policy (refuses the
 * page), /open allowing any origin. It counts the requests each gets.
 *
 * Firefox and WebKit run side by side in one test run (scripts/test.mjs): what a command does to
 * connections (`hub-cut`, `hub-stream`'s cuts, `hub-refuse`) touches only those of the calling
 * test's engine (told by the request's User-Agent), and each engine gets its own other-origin
 * server, so one engine's test never cuts or counts the other's.
 * `hub-connections` counts the main server's open hub connections whose URL includes a string
 * (a test's own topic): unlike `hub-stats`, not moved by earlier tests' closing tabs.
 * `hub-refuse` refuses the main hub's WebSocket upgrades for `ms` (503), as a hub that is down.
 * `hub-unsubscribe` removes `topics` from every live subscription of the main hub (hub.unsubscribe).
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createHub } from '../../dist/server/index.js';
import { engineOf } from '../engines.mjs';

/** The engine a request comes from (a page, a worker or a tab of it), by its User-Agent. */
export const engineOfRequest = (req) => {
  const agent = req.headers['user-agent'] ?? '';
  if (/Firefox\//.test(agent)) return 'firefox';
  return /Chrome\//.test(agent) ? 'chromium' : 'webkit';
};

/** Hubs on their own loopback port: another origin than the test runner's pages. */
async function startOtherOrigin() {
  const hubs = [createHub(), createHub({ basePath: '/open', allowedOrigins: '*' })];
  const requests = new Map();
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (!hubs.some((h) => h.handleRequest(req, res))) res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    hubs,
    requests,
    async close() {
      await Promise.all(hubs.map((h) => h.close()));
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Tokens of the /expiring hub: token → { user, expiresAt }. */
const tokens = new Map();
let minted = 0;
const tokenOf = (req, token) =>
  token ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? undefined;

export function hubPlugin(options = {}) {
  const hub = createHub({
    keepAliveInterval: 1000,
    retry: 200,
    historyLimit: 50_000,
    historyBytes: 16 << 20,
    // Topics that keep 2 events: a resume past them is a `too-old` naming the topic.
    history: { 'short-': { limit: 2 } },
    ...options,
  });
  const others = [
    createHub({
      basePath: '/secure',
      authorize: ({ action, topic, token }) =>
        action === 'auth' ? token === 'good' : !topic?.startsWith('secret') || token === 'good',
    }),
    createHub({ basePath: '/strict', allowedOrigins: ['http://nowhere.example'] }),
    createHub({ basePath: '/limited', rateLimit: 5 }),
    createHub({
      basePath: '/expiring',
      historyLimit: 10_000,
      retry: 200,
      authorize: ({ req, token }) => tokens.get(tokenOf(req, token)) ?? false,
    }),
    // Presence on `room-` topics; the user is the auth token or `?user=` (test pages only).
    createHub({
      basePath: '/presence',
      presence: ['room-'],
      authorize: ({ req, token }) => {
        const user = token ?? new URL(req.url, 'http://x').searchParams.get('user') ?? undefined;
        return { user, info: { name: user?.toUpperCase() } };
      },
    }),
  ];
  const expiring = others[3];
  const hubs = [hub, ...others];
  const streams = new Set();
  /** Each stream's request URL, for `hub-connections`, and its engine. */
  const urls = new WeakMap();
  const engines = new WeakMap();
  /** Per engine: its other-origin server (a promise), and until when its upgrades are refused. */
  const otherOrigins = new Map();
  const refuseUntil = new Map();
  const track = (stream, req) => {
    streams.add(stream);
    urls.set(stream, req.url);
    engines.set(stream, engineOfRequest(req));
  };
  /** Cuts the open hub connections (SSE, long-poll, WebSocket) of one engine, server side. */
  const cut = (engine) => {
    for (const stream of streams)
      if (engines.get(stream) === engine) (stream.socket ?? stream).destroy();
  };
  return {
    name: 'realtime-hub',
    hub,
    middleware(context, next) {
      const { req, res } = context;
      if (!hubs.some((h) => h.handleRequest(req, res))) return next();
      context.respond = false;
      // The hub answers on the raw response, often after this returns: koa's default 404 would
      // be listed by the test runner as a missing file.
      if (!res.headersSent) res.statusCode = 200;
      if (context.path.endsWith('/sse') || context.path.endsWith('/poll')) {
        track(res, req);
        res.on('close', () => streams.delete(res));
      }
    },
    serverStart({ server }) {
      server.on('upgrade', (req, socket, head) => {
        const refused = Date.now() < (refuseUntil.get(engineOfRequest(req)) ?? 0);
        if (refused && req.url.startsWith(`${hub.options.basePath}/ws`)) {
          socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
          return;
        }
        if (!hubs.some((h) => h.handleUpgrade(req, socket, head))) return;
        track(socket, req);
        socket.on('close', () => streams.delete(socket));
      });
    },
    async serverStop() {
      await Promise.all(hubs.map((h) => h.close()));
      for (const other of otherOrigins.values()) await (await other).close();
    },
    async executeCommand({ command, payload = {}, session }) {
      const engine = engineOf(session.browser);
      switch (command) {
        case 'hub-publish': {
          const ids = [];
          for (const data of payload.many ?? [payload.data])
            ids.push((await hub.publish(payload.topic, data)).id);
          return ids;
        }
        case 'hub-token': {
          const token = `tok-${++minted}`;
          tokens.set(token, { user: payload.user ?? 'u', expiresAt: Date.now() + payload.ms });
          return { token };
        }
        case 'hub-expiring-publish': {
          for (let n = 1; n <= payload.count; n++) {
            await expiring.publish(payload.topic, n);
            await new Promise((resolve) => setTimeout(resolve, payload.every));
          }
          return true;
        }
        case 'hub-disconnect':
          // A ban: the user's tokens are refused from now on, and its connections end.
          for (const [token, grant] of tokens)
            if (grant.user === payload.user) tokens.delete(token);
          return { ended: await expiring.disconnect({ user: payload.user }) };
        case 'hub-unsubscribe':
          // The main hub: `topics` leave every live subscription that holds them.
          return { left: await hub.unsubscribe(() => true, payload.topics) };
        case 'hub-stats':
          return hub.stats();
        case 'hub-connections': {
          const counts = { sse: 0, ws: 0, poll: 0 };
          for (const stream of streams) {
            const url = urls.get(stream) ?? '';
            if (!url.includes(payload.includes)) continue;
            const kind = new URL(url, 'http://x').pathname.split('/').at(-1);
            if (kind in counts) counts[kind]++;
          }
          return counts;
        }
        case 'hub-other-origin': {
          if (!otherOrigins.has(engine)) otherOrigins.set(engine, startOtherOrigin());
          const other = await otherOrigins.get(engine);
          if (payload.publish)
            await other.hubs[1].publish(payload.publish.topic, payload.publish.data);
          return { origin: other.origin, requests: Object.fromEntries(other.requests) };
        }
        case 'hub-refuse':
          refuseUntil.set(engine, Date.now() + payload.ms);
          return true;
        case 'hub-publish-paced': {
          // `count` events `{ f: 'hub', n }` from `from` (default 0), a few at a time, while the
          // test goes on (in chunks: one command must answer within the runner's 20 s).
          const from = payload.from ?? 0;
          for (let n = from; n < from + payload.count; n++) {
            await hub.publish(payload.topic, { f: 'hub', n });
            if (n % 10 === 9) await new Promise((resolve) => setTimeout(resolve, payload.pause));
          }
          return true;
        }
        case 'hub-cut':
          cut(engine);
          return true;
        case 'hub-stream': {
          // Publishes `count` numbered events from `from` (default 1), cutting every hub
          // connection of the engine at `cuts` random points among them (callers go in chunks:
          // one command must answer within the runner's 20 s).
          const from = payload.from ?? 1;
          const cutAt = new Set();
          while (cutAt.size < Math.min(payload.cuts, payload.count - 1))
            cutAt.add(from + 1 + Math.floor(Math.random() * (payload.count - 1)));
          for (let i = from; i < from + payload.count; i++) {
            await hub.publish(payload.topic, i);
            if (cutAt.has(i)) cut(engine);
            if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          }
          return true;
        }
        default:
          return undefined;
      }
    },
  };
}

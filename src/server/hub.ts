import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { requestUrl } from './http.js';
import { WebSocketRelay } from './ws-relay.js';
import { HubCore, type HistoryPage, type ResolvedHubOptions } from './core.js';
import { SseEndpoint } from './sse-endpoint.js';
import { PollEndpoint } from './poll-endpoint.js';
import { PublishEndpoint } from './publish-endpoint.js';
import { Preflight } from './preflight.js';
import { HealthEndpoint } from './health-endpoint.js';
import { presenceOf, type PresenceMember } from './presence.js';
import type { DisconnectSelector, HubEvent, HubOptions, TopicInfo } from './types.js';
import { Compression } from './compression.js';
import { closeWithAnswer, Drain } from './drain.js';
import { ConnectionAge } from './connection-age.js';
import { HubMetrics } from './metrics.js';
import { MetricsEndpoint } from './metrics-endpoint.js';

export interface Hub {
  /** Publishes `data` (any JSON value) to `topic`; resolves with the event once stored. */
  publish(topic: string, data: unknown): Promise<HubEvent>;
  /**
   * Publishes `data` to several topics at once: each gets its own event (its own id, in the order
   * given), all of them stored in one atomic step or none (memory and Redis stores). A topic
   * listed twice is published once: both of its places in the answer hold that event. Rejects with
   * `HubError` `bad-topic`, `bad-data`, `too-large`, `closing` or `unavailable` (nothing stored).
   */
  publish(topics: string[], data: unknown): Promise<HubEvent[]>;
  /**
   * Removes `topics` from the live subscriptions of the connections `selector` matches, on every
   * transport, without closing them or their other topics. SSE: an `event: $unsubscribed` with
   * `data: {"topics":[…]}`, and the stream ends when no topic is left; WebSocket: an
   * `{"type":"unsubscribed","topics":[…]}` frame; a held long-poll is answered with
   * `"unsubscribed": […]` when no topic is left (else its answer carries it). Nothing of those
   * topics is delivered after it. A client that subscribes again (a reconnect, the next poll)
   * is asked `authorize` again: refuse there what must stay out. An object selector (`{ user }`,
   * `{ token }`) reaches every process on the Redis store. Resolves with the number of
   * connections that lost a topic in this process.
   */
  unsubscribe(selector: DisconnectSelector, topics: string | string[]): Promise<number>;
  /**
   * Topics with subscribers and their counts (`{ topic, subscribers, local }`, by name), across
   * every process on the Redis store: another process's counts are at most its `countsInterval`
   * (5 s) old, a crashed one's are gone within 3 × that.
   */
  topics(): Promise<TopicInfo[]>;
  /** One topic's subscriber counts, as in `topics()` (0 when nobody is subscribed). */
  topic(name: string): Promise<TopicInfo>;
  /**
   * The kept events of `topics` (one or several, merged in id order) and the cursor to subscribe
   * from, for a server that renders them into a page: the newest `limit` (default and cap
   * `maxReplay`), or with `since` (a cursor) the first `limit` after it. A page that subscribes
   * from `cursor` (`last-event-id`) misses and repeats nothing published after the read.
   * Rejects with `HubError` `bad-topic`, `bad-rewind` (a bad `limit`) or `unavailable` (store down).
   */
  history(
    topics: string | string[],
    options?: { limit?: number; since?: string },
  ): Promise<HistoryPage>;
  /**
   * The members of a presence topic now (see the `presence` option): `{ user, info }` per user,
   * across processes with Redis. Rejects with `HubError` `bad-topic`, `no-presence` (not a
   * presence topic) or `unavailable` (store down).
   */
  presence(topic: string): Promise<PresenceMember[]>;
  /** The id of the newest event of the hub (any topic), `<epoch>-<seq>`; `<epoch>-0` before any. */
  latestId(): Promise<string>;
  /**
   * Routes a request to the endpoint under `basePath` (`/sse`, `/poll`, `/publish`, `/health`);
   * false when the path is not the hub's. Takes `node:http` requests and `node:http2`
   * compatibility-API ones alike (`http2.createSecureServer({ allowHTTP1: true }, handler)`).
   */
  handleRequest(req: HubRequest, res: HubResponse): boolean;
  handleSse(req: HubRequest, res: HubResponse): Promise<void>;
  handlePoll(req: HubRequest, res: HubResponse): Promise<void>;
  handlePublish(req: HubRequest, res: HubResponse): Promise<void>;
  /** Takes a WebSocket upgrade for `<basePath>/ws`; false (socket untouched) for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Ends the connections that `selector` matches, on every transport (logout, ban): an SSE
   * stream with a final `$revoked` event, a WebSocket with 4401, a held long-poll with `401`.
   * Clients treat it as a 401 (`refresh` once, else `unauthorized`): pair it with `authorize`
   * refusing what should stay out. An object selector (`{ user }`, `{ token }`) also reaches
   * every other process sharing the Redis store; a function sees this process's connections
   * (`{ transport, req, user, info, expiresAt, token }`). Resolves with the number ended here.
   */
  disconnect(selector: DisconnectSelector): Promise<number>;
  /**
   * For rolling deploys: `/health` answers `503 draining` at once, new subscriptions (SSE,
   * long-poll, WebSocket upgrades) are refused with `503` and `Retry-After: 1`, and the live
   * connections are closed spread evenly over `within` ms (default 10,000), oldest first: an SSE
   * stream ends after a jittered `retry:` of at most 1 s, a WebSocket closes with 1001, a held
   * long-poll is answered; responses also close their HTTP/1.1 connection. Clients resume at
   * once from their cursors on the other processes, at a steady rate rather than in a herd.
   * Publishes are still served. Resolves when every connection has closed (a client that does
   * not close within 2 s of being told is cut); then `close()`. A second call can only bring
   * the end forward. Rejects with a `RangeError` for a bad `within`.
   */
  drain(options?: { within?: number }): Promise<void>;
  /** Ends every stream (WebSockets with 1001), answers pending polls, stops timers. */
  close(): Promise<void>;
  /** Live connection counts, for monitoring and tests. */
  stats(): { sse: number; ws: number; poll: number };
  readonly options: ResolvedHubOptions;
}

/** A request from `node:http`, or from `node:http2`'s compatibility API. */
export type HubRequest = IncomingMessage | Http2ServerRequest;
/** A response of `node:http`, or of `node:http2`'s compatibility API. */
export type HubResponse = ServerResponse | Http2ServerResponse;

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;
// The endpoints use only what both APIs share (`headers`, `url`, `method`, `writeHead`, `write`,
// `end`, `destroy`, `close` events); what differs is read through `Http2Request`.
const asHttp1 = (req: HubRequest, res: HubResponse) =>
  [req as IncomingMessage, res as ServerResponse] as const;

/**
 * Creates a hub: topics served over SSE (with history and `Last-Event-ID` replay), a WebSocket
 * relay and long-poll, in memory unless another store is given. Each transport is its own
 * endpoint over the shared `HubCore`; this function only routes to them.
 */
export function createHub(options: HubOptions = {}): Hub {
  // First: a bad `metrics` option throws before anything (a Redis connection) is opened.
  const metrics =
    options.metrics === undefined || options.metrics === false
      ? undefined
      : new HubMetrics(
          options.metrics,
          () => stats(),
          () => core.storeUp,
          (line) => core.log.warn(line),
        );
  const core = new HubCore(options);
  core.metrics = metrics;
  const { basePath } = core.options;
  const compression = new Compression(options.compression);
  const sse = new SseEndpoint(core, compression);
  const poll = new PollEndpoint(core);
  const publish = new PublishEndpoint(core);
  const preflight = new Preflight(core);
  const relay = new WebSocketRelay(core, compression);
  const drain = new Drain(core);
  const age = new ConnectionAge(core.options.maxConnectionAge);
  core.onTrack = (connection, end) => {
    const rotation = age.track(connection, end);
    const draining = drain.track(connection, end);
    return () => (rotation(), draining());
  };
  const stats = () => ({ sse: sse.size, ws: relay.size, poll: poll.size });
  const health = new HealthEndpoint(core, stats);
  const ownStore = !options.store;

  const handleSse = (req: HubRequest, res: HubResponse) => sse.handle(...asHttp1(req, res));
  const handlePoll = (req: HubRequest, res: HubResponse) => poll.handle(...asHttp1(req, res));
  const handlePublish = (req: HubRequest, res: HubResponse) => publish.handle(...asHttp1(req, res));
  const routes = new Map<string, Map<string, Handler>>([
    [`${basePath}/sse`, new Map([['GET', handleSse]])],
    [`${basePath}/poll`, new Map([['GET', handlePoll]])],
    [`${basePath}/publish`, new Map([['POST', handlePublish]])],
    [`${basePath}/health`, new Map([['GET', (req, res) => health.handle(req, res)]])],
  ]);
  if (core.metrics?.endpoint) {
    const metrics = new MetricsEndpoint(core, core.metrics);
    routes.set(`${basePath}/metrics`, new Map([['GET', (req, res) => metrics.handle(req, res)]]));
  }

  return {
    options: core.options,
    publish: ((topics: string | string[], data: unknown) =>
      Array.isArray(topics)
        ? core.publishMany(topics, data)
        : core.publish(topics, data)) as Hub['publish'],
    unsubscribe: (selector, topics) => core.unsubscribe(selector, topics),
    topics: () => core.topics(),
    topic: async (name) => (await core.topics([name]))[0]!,
    disconnect: (selector) => core.disconnect(selector),
    history: (topics, opts) =>
      core.history(topics, opts).catch((error) => Promise.reject(core.unavailable(error))),
    presence: (topic) => presenceOf(core, topic),
    latestId: () => core.store.latestId().catch((error) => Promise.reject(core.unavailable(error))),
    handleSse,
    handlePoll,
    handlePublish,
    handleRequest(request, response) {
      const [req, res] = asHttp1(request, response);
      const route = routes.get(requestUrl(req).pathname);
      if (!route) return false;
      // Draining: every answer closes its connection, so the client's next request goes elsewhere.
      if (core.draining && !res.headersSent) closeWithAnswer(req, res);
      const handler = route.get(req.method ?? 'GET');
      if (handler) void handler(req, res);
      else if (req.method === 'OPTIONS') preflight.handle(req, res);
      else {
        res.writeHead(405, { Allow: [...route.keys()].join(', ') });
        res.end();
      }
      return true;
    },
    handleUpgrade(req, socket, head) {
      if (requestUrl(req).pathname !== `${basePath}/ws`) return false;
      if (!drain.refuseUpgrade(req, socket)) relay.handleUpgrade(req, socket, head);
      return true;
    },
    drain: ({ within = 10_000 } = {}) => drain.drain(within),
    async close() {
      if (core.closing) return;
      core.close();
      poll.close();
      sse.close();
      await relay.close();
      await core.presence?.close();
      if (ownStore) await core.store.close();
    },
    stats,
  };
}

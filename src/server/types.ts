import type { IncomingMessage } from 'node:http';
import type { HistoryOptions } from './history-policy.js';
import type { CompressionOptions } from './compression.js';

export type { HistoryBounds, HistoryOptions } from './history-policy.js';

/** One published event. `id` is `<epoch>-<seq>`: one order across every topic of the hub. */
export interface HubEvent {
  id: string;
  seq: number;
  topic: string;
  data: unknown;
  /** `data` as JSON, computed once for every subscriber. */
  json: string;
  /** The publisher id that sent it (its own subscriptions skip it, live and in replay), unless it asked for echo. */
  origin?: string;
  /** Set on what `append` returns for a message id already in the de-duplication window: nothing was stored. */
  duplicate?: true;
}

/** A message id for de-duplication: the publisher and its own id of the message. */
export interface Dedup {
  publisher: string;
  msg: string;
}

/**
 * Why a cursor could not be resumed gap-free: `epoch` (the store lost its data set), `too-old`
 * (history of some of the topics is gone), `invalid` (not a cursor of this hub), `too-many`
 * (more missed events than `maxReplay`).
 */
export type ResetReason = 'epoch' | 'too-old' | 'invalid' | 'too-many';

/**
 * What a cursor resumes to: the missed events (and the newest id when they were read), or a
 * reset when some cannot be known. A reset goes on from `latest`, with the `events` after it:
 * - `too-old`: `latest` is the cursor itself and `events` is every event still kept after it, in
 *   one order; `topics` names the topics whose history lost events after the cursor (the others
 *   miss nothing).
 * - `epoch`: for a cursor of another epoch whose successor's history is complete, `latest` is
 *   `<epoch>-0` and `events` holds that whole history (of the cursor's topics), so the events
 *   published since the data set was lost are not skipped as well; otherwise the newest id.
 * - `invalid`, `too-many`: the newest id, no events.
 */
export type Replay =
  | { events: HubEvent[]; latest?: string }
  | { reset: ResetReason; latest: string; events?: HubEvent[]; topics?: string[] };

/** The newest events of some topics, in order, and the id they were read at (nothing newer is in `events`). */
export interface Recent {
  events: HubEvent[];
  latest: string;
}

/** Where events get their ids, live in history and fan out: memory by default, or Redis. */
export interface HubStore {
  /**
   * Appends an event; resolves once it is durable in the store (ids are assigned there). With
   * `dedup`, a message id already in the publisher's window is not stored again: the original
   * event's id comes back, marked `duplicate`, and nothing fans out (one atomic step).
   */
  append(
    topic: string,
    data: unknown,
    json: string,
    origin?: string,
    dedup?: Dedup,
  ): Promise<HubEvent>;
  /**
   * Missed events of `topics` after `cursor`, in order, or a reset. More than `max` events
   * (default: no bound) answer a `too-many` reset instead — unless `first` is given: then only
   * the first `first` of them, never `too-many` (a page of `hub.history({ since, limit })`).
   */
  replay(
    cursor: string,
    topics: ReadonlySet<string>,
    max?: number,
    first?: number,
  ): Promise<Replay>;
  /** The newest `limit` kept events of `topics` (merged, in id order) and the newest id. */
  recent(topics: ReadonlySet<string>, limit: number): Promise<Recent>;
  /** The id of the newest event (or `<epoch>-0`). */
  latestId(): Promise<string>;
  /** Every appended event, from any process, in order. Returns an unsubscribe function. */
  onEvent(listener: (event: HubEvent) => void): () => void;
  /**
   * Optional: the store lost its data set (a Redis `FLUSHALL`, a restart without persistence)
   * and began a new epoch. `latest` is `<newEpoch>-<seq>` of the last event *before* the events
   * that `onEvent` delivers next (usually `<newEpoch>-0`). Called in order with `onEvent`.
   * Returns an unsubscribe function.
   */
  onEpoch?(listener: (latest: string, previous: string) => void): () => void;
  /**
   * Optional: the store became unreachable (`up` false) or reachable again. Called once per
   * change. Returns an unsubscribe function.
   */
  onStatus?(listener: (up: boolean, reason?: string) => void): () => void;
  /**
   * Optional: sends `message` to every hub process on this store, this one included (the hub's
   * `disconnect` selectors). Without it, the hub applies them in its own process only.
   */
  broadcast?(message: string): Promise<void>;
  /** Optional: hears every `broadcast`, from any process. Returns an unsubscribe function. */
  onBroadcast?(listener: (message: string) => void): () => void;
  /**
   * Optional: appends one value to several topics as one atomic step — every topic gets its own
   * event (in the order given), or none does (the promise rejects). Each `dedup` is checked as
   * `append` checks it. Without it, the hub appends topic by topic (not atomic).
   */
  appendMany?(
    items: readonly { topic: string; dedup?: Dedup }[],
    data: unknown,
    json: string,
    origin?: string,
  ): Promise<HubEvent[]>;
  /** Optional: hears each gap filled from a log (events read there instead of live). */
  onGapFill?(listener: (events: number) => void): () => void;
  /**
   * Optional: shares this process's subscriber counts per topic (`read`, called when it likes)
   * with the other processes on the store, for `subscriberCounts`. Returns a stop function.
   */
  shareCounts?(read: () => ReadonlyMap<string, number>): () => void;
  /** Optional: subscribers per topic (of `topics`, or every topic) across every process. */
  subscriberCounts?(topics?: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/**
 * Where the hub reports what an operator should know: the store going down and coming back,
 * an epoch change, slow consumers cut off, rate limits, refused origins. Each kind is reported
 * once per change, with counts (a burst is one line). `console` fits.
 */
export interface HubLogger {
  info(message: string): void;
  warn(message: string): void;
}

export type HubAction = 'subscribe' | 'publish' | 'auth';

export interface AuthorizeRequest {
  req: IncomingMessage;
  action: HubAction;
  /** The topic, for `subscribe` and `publish`. */
  topic?: string;
  /** The token of the WebSocket `auth` frame, when one was sent. */
  token?: string;
}

/**
 * What `authorize` may return instead of `true`: who it is and until when. At `expiresAt` (ms
 * since the epoch, this process's clock) the hub ends an SSE stream with a final `$expired`
 * event, sends a WebSocket `expiring` then closes it with 4440 unless a new `auth` frame came,
 * and answers a held long-poll; each client resumes at once with fresh credentials and its
 * cursor. A grant already expired is refused as `401 unauthorized` (WebSocket: 4401).
 */
export interface AuthGrant {
  /** Who this is (for `hub.disconnect({ user })`, and presence later). */
  user?: string;
  /** Anything else about the client (presence, later). */
  info?: unknown;
  /**
   * When the credentials expire, ms since the epoch (a JWT's `exp` is in seconds: × 1000).
   * `Infinity`: never. NaN or a non-number is refused (logged): it would never expire. A value
   * below 10^12 (2001 in ms) is taken for seconds and refused (logged), not a grant from 1970.
   */
  expiresAt?: number;
}

/** One live client connection, as `hub.disconnect(predicate)` sees it. */
export interface HubConnection {
  transport: 'sse' | 'ws' | 'poll';
  req: IncomingMessage;
  /** From the grant `authorize` returned (the earliest `expiresAt` of its answers). */
  user?: string;
  info?: unknown;
  expiresAt?: number;
  /** The WebSocket `auth` frame's token, if any. */
  token?: string;
}

/**
 * `hub.disconnect`'s selector. An object (`user` and/or `token`: every given field must match)
 * reaches every process sharing the Redis store; a function sees only this process's
 * connections.
 */
export type DisconnectSelector =
  { user?: string; token?: string } | ((connection: HubConnection) => boolean);

export interface HubOptions {
  /** Path prefix of the endpoints: `<basePath>/sse`, `/poll`, `/publish`, `/ws`. Default `/realtime`. */
  basePath?: string;
  /**
   * History kept for replay, per topic: `{ default: { limit, bytes, ttl }, '<prefix>': {…} }`
   * (events, UTF-8 bytes of JSON and topic, ms). Default per topic: 1,000 events, 1 MiB, no
   * age bound; the longest matching topic prefix wins. See `HistoryOptions`.
   */
  history?: HistoryOptions;
  /** Alias of `history.default.limit` (events per topic). */
  historyLimit?: number;
  /** Alias of `history.default.bytes` (bytes per topic). */
  historyBytes?: number;
  /**
   * In memory, the bytes of history across all topics: past it the oldest events of any topic
   * go first (their topics' subscribers are told, as for any lost history). Default 64 MiB.
   */
  historyTotalBytes?: number;
  /**
   * Most events one resume (or `rewind`) sends: a cursor that missed more gets `reset`
   * `too-many` and goes on from the newest event (re-load the state instead). `hub.history()`
   * returns at most this many; with `since`, the first ones and a `cursor` to read on from (a
   * page, never `too-many`). Default 10,000.
   */
  maxReplay?: number;
  /** SSE keep-alive comment interval, ms. Default 15,000. */
  keepAliveInterval?: number;
  /** SSE `retry:` base, ms; each connection gets up to 50% more, so clients do not come back in one herd. */
  retry?: number;
  /** Largest accepted payload (JSON bytes) for a publish, any transport. Default 64 KiB. */
  maxPayload?: number;
  /**
   * Bytes queued for one subscriber before it is cut off (it replays on reconnect): the next
   * frame sent while more than this is still queued cuts it off, so one frame larger than this
   * (a presence snapshot of many members) goes through. Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Topics one connection may subscribe to. Default 32. */
  maxTopicsPerConnection?: number;
  /** WebSocket frames per second per connection (a burst of twice that is allowed). Default 100. */
  rateLimit?: number;
  /** Message ids remembered per publisher for de-duplication (WebSocket `msg`, HTTP `Idempotency-Key`). Default 1000. */
  dedupWindow?: number;
  /** A publisher's message ids are forgotten once it has been silent this long, ms. Default 300,000. */
  dedupAge?: number;
  /** WebSocket ping interval, ms; a socket that missed the previous pong is terminated. Default 30,000. */
  heartbeatInterval?: number;
  /** Longest hold of a long-poll request, ms. Default 25,000. */
  pollTimeout?: number;
  /**
   * Rotates SSE streams and WebSockets older than about this many ms (each drawn within ±10 %),
   * the way `hub.drain` moves them: the client resumes at once from its cursor, through the load
   * balancer, so connections spread again over the processes after a scale-out. Default 0 (off);
   * else at least 1000 (a shorter age could move a connection before its client subscribed or
   * got its replay, again and again): other values throw a `RangeError`.
   */
  maxConnectionAge?: number;
  /**
   * Opt-in compression, `true` or `{ threshold, sse, websocket, level }`: gzip for SSE streams
   * whose request's `Accept-Encoding` allows it (each event compressed once for every stream,
   * flushed with it) and WebSocket `permessage-deflate` (RFC 7692) for clients that offer it.
   * Frames and messages under `threshold` bytes (default 1024) go uncompressed. Default off
   * (`false`, `null`, `undefined`); any other kind of value throws a `TypeError`.
   */
  compression?: boolean | CompressionOptions;
  /**
   * Origins allowed for WebSocket upgrades, cross-origin SSE/poll (CORS) and HTTP publish.
   * Default: same host only. `'*'` allows any. Each is compared as an origin (RFC 6454 § 6.2):
   * `http://App.example/` matches the browser's `http://app.example`.
   */
  allowedOrigins?: string[] | '*';
  /**
   * Decides every subscribe and publish (and WebSocket `auth` tokens): `true` or an `AuthGrant`
   * allows (a grant may expire), anything else refuses (`403 forbidden`; a refused `auth`
   * frame: 4401). Default: allow.
   */
  authorize?: (
    request: AuthorizeRequest,
  ) => boolean | AuthGrant | null | undefined | Promise<boolean | AuthGrant | null | undefined>;
  /**
   * Where operational events go (see `HubLogger`). Default: silent in the library; the
   * `realtime-elements-server` CLI logs to the console.
   */
  logger?: HubLogger;
  /**
   * Topic prefixes with presence on (`['room:']`; `['']`: every topic). For those topics the hub
   * keeps who is subscribed, per `user` of `authorize`'s grant (not per connection), with the
   * grant's `info`: SSE and WebSocket subscribers get a snapshot, then `join` / `leave` (SSE:
   * `$presence` events; WebSocket: `presence` frames); `hub.presence(topic)` reads it. A grant
   * without a `user` is not a member; long-poll requests are not members. With `redis`, shared
   * by every process: a process that dies leaves within `presenceTtl * 4 / 3` ms.
   */
  presence?: string[];
  /**
   * Members (distinct users, across processes) per presence topic. A subscription that would
   * add one more is refused: `429 presence-full` with `Retry-After` (WebSocket: an `error` frame
   * `presence-full`); users already present may open more connections. Default 1,000.
   */
  maxPresenceMembers?: number;
  /**
   * With `redis`: ms a process's presence lives without renewal (renewed every third of it); a
   * process killed without closing has its members leave within `presenceTtl * 4 / 3`. Default
   * 30,000.
   */
  presenceTtl?: number;
  /** A store other than memory (see the Redis store). */
  store?: HubStore;
  /**
   * Share topics, ids and history with other hub processes through Redis (`redis://…`, or the
   * Redis store's options). Needs the `ioredis` package; nothing of it loads otherwise.
   */
  redis?:
    | string
    | {
        /** A Redis URL; with `cluster`, one seed node or several (tried in turn). */
        url: string | string[];
        /** Key prefix; used as the hash tag of every key (`{rt}:seq`), so the hub runs on Redis Cluster. */
        prefix?: string;
        /** `url` is a node (or several) of a Redis Cluster (ioredis `Cluster`). */
        cluster?: boolean;
        /** Alias of `history.default.limit` for this store; at least 10,000 unless `history` is given. */
        historyLimit?: number;
        /** ioredis `RedisOptions` passed through (e.g. `connectionName`, `tls`, `password`). */
        redisOptions?: Record<string, unknown>;
        dedupWindow?: number;
        dedupAge?: number;
        /**
         * ms between writes of this process's subscriber counts (`hub.topics()`); a gone
         * process's counts expire after 3 × this. Default 5,000.
         */
        countsInterval?: number;
      };
  /**
   * Prometheus metrics at `<basePath>/metrics` (needs the `prom-client` package; nothing of it
   * loads otherwise): `true`, or `{ registry, endpoint }` to add them to your prom-client
   * `Registry` (and `endpoint: false` to serve it yourself). Off by default.
   */
  metrics?: boolean | { registry?: unknown; endpoint?: boolean };
}

/** A topic's subscribers, as `hub.topics()` and `hub.topic(name)` answer. */
export interface TopicInfo {
  topic: string;
  /**
   * Live subscriptions (SSE streams, WebSocket subscriptions, held long-polls) across every
   * process on the store; another process's share may be up to its `countsInterval` old.
   */
  subscribers: number;
  /** This process's share of `subscribers`, live. */
  local: number;
}

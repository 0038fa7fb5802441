import type { IncomingMessage } from 'node:http';
import { HubLog } from './hub-log.js';
import { createHash } from 'node:crypto';
import { defaultLimits, messageIdPattern } from '../internal/protocol.js';
import { isValidTopic } from './http.js';
import { MemoryStore } from './memory-store.js';
import type { HubMetrics, PublishSourceLabel } from './metrics.js';
import { redisSeeds } from './redis-seeds.js';
import type { Subscriber } from './subscriber.js';
import { createPresence, type Presence } from './presence.js';
import type {
  AuthGrant,
  AuthorizeRequest,
  Dedup,
  DisconnectSelector,
  HubConnection,
  HubEvent,
  HubOptions,
  HubStore,
  ResetReason,
  TopicInfo,
} from './types.js';

/**
 * An `expiresAt` below this (ms: 2001-09-09) is taken for seconds: refused and logged rather
 * than a grant that expired decades ago.
 */
const SECONDS_BELOW = 1e12;

/**
 * Why the hub ends a connection early: its grant expired, `hub.disconnect` matched it, or it is
 * moved to another process (`drain`: `hub.drain`, `maxConnectionAge`).
 */
export type EndReason = 'expired' | 'revoked' | 'drain';

export type ResolvedHubOptions = Required<
  Omit<
    HubOptions,
    | 'authorize'
    | 'store'
    | 'allowedOrigins'
    | 'redis'
    | 'logger'
    | 'history'
    | 'presence'
    | 'metrics'
  >
> &
  Pick<
    HubOptions,
    'authorize' | 'allowedOrigins' | 'redis' | 'logger' | 'history' | 'presence' | 'metrics'
  >;

/** What `hub.history()` answers: events to render and the cursor a page subscribes from. */
export interface HistoryPage {
  /** In id order; `data` as published. */
  events: { id: string; topic: string; data: unknown }[];
  /**
   * The id to subscribe from (`last-event-id`): everything up to it is in `events` (or older
   * than them), so nothing published after the read is missed or repeated.
   */
  cursor: string;
  /** Set when `since` could not be resumed gap-free (see `Replay`): re-load instead. */
  reset?: ResetReason;
  /** With `reset` `too-old`: the topics that lost events after `since`. */
  lost?: string[];
}

/** A store loaded on first use (the Redis store and its client load only when asked for). */
class LazyStore implements HubStore {
  private readonly store: Promise<HubStore>;
  constructor(load: () => Promise<HubStore>) {
    this.store = load();
    this.store.catch(() => {});
  }
  recent(...args: Parameters<HubStore['recent']>) {
    return this.store.then((store) => store.recent(...args));
  }
  append(...args: Parameters<HubStore['append']>) {
    return this.store.then((store) => store.append(...args));
  }
  appendMany(...args: Parameters<NonNullable<HubStore['appendMany']>>) {
    return this.store.then((store) => appendEach(store, ...args));
  }
  subscriberCounts(topics?: readonly string[]) {
    // Undefined without counts across processes: the hub counts its own then.
    return this.store.then(
      (store) => store.subscriberCounts?.(topics) as Promise<Map<string, number>>,
    );
  }
  shareCounts(read: () => ReadonlyMap<string, number>) {
    return this.later((store) => store.shareCounts?.(read));
  }
  onGapFill(listener: (events: number) => void) {
    return this.later((store) => store.onGapFill?.(listener));
  }
  replay(...args: Parameters<HubStore['replay']>) {
    return this.store.then((store) => store.replay(...args));
  }
  latestId() {
    return this.store.then((store) => store.latestId());
  }
  onEvent(listener: (event: HubEvent) => void) {
    return this.later((store) => store.onEvent(listener));
  }
  onEpoch(listener: (latest: string, previous: string) => void) {
    return this.later((store) => store.onEpoch?.(listener));
  }
  onStatus(listener: (up: boolean, reason?: string) => void) {
    return this.later((store) => store.onStatus?.(listener));
  }
  broadcast(message: string) {
    return this.store.then((store) => store.broadcast?.(message));
  }
  onBroadcast(listener: (message: string) => void) {
    return this.later((store) => store.onBroadcast?.(listener));
  }
  private later(subscribe: (store: HubStore) => (() => void) | undefined): () => void {
    let off: (() => void) | undefined;
    let cancelled = false;
    void this.store.then((store) => {
      if (!cancelled) off = subscribe(store);
    });
    return () => {
      cancelled = true;
      off?.();
    };
  }
  close() {
    return this.store.then((store) => store.close());
  }
}

function redisStore(
  redis: NonNullable<HubOptions['redis']>,
  { history, dedupWindow, dedupAge }: ResolvedHubOptions,
  { historyLimit }: HubOptions,
): HubStore {
  const options = typeof redis === 'string' ? { url: redis } : redis;
  redisSeeds(options.url, options.cluster);
  return new LazyStore(async () => {
    const { RedisStore } = await import('./redis-store.js');
    return new RedisStore({ history, historyLimit, dedupWindow, dedupAge, ...options });
  });
}

/**
 * A refusal with a stable `code` and the HTTP `status` it is answered with (`retryAfter`, in
 * seconds, becomes a `Retry-After` header).
 */
export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const defaults = {
  basePath: '/realtime',
  historyLimit: 1000,
  historyBytes: 1 << 20,
  historyTotalBytes: 64 << 20,
  maxReplay: 10_000,
  keepAliveInterval: 15_000,
  retry: 2000,
  maxPayload: defaultLimits.maxPayload,
  maxBufferedBytes: 1 << 20,
  maxTopicsPerConnection: 32,
  rateLimit: defaultLimits.rate,
  heartbeatInterval: defaultLimits.heartbeat,
  dedupWindow: defaultLimits.dedupWindow,
  dedupAge: defaultLimits.dedupAge,
  pollTimeout: 25_000,
  maxConnectionAge: 0,
  maxPresenceMembers: 1000,
  presenceTtl: 30_000,
};

/** The part of the hub that every transport uses. */
export class HubCore {
  readonly options: ResolvedHubOptions;
  readonly store: HubStore;
  readonly log: HubLog;
  /** Who is subscribed to the presence topics (the `presence` option); none without it. */
  readonly presence?: Presence;
  closing = false;
  /** Set by `hub.drain`: new subscriptions are refused (`503 draining`), live ones are moved. */
  draining = false;
  /** Called for every new live connection (draining, `maxConnectionAge`); returns its release. */
  onTrack?: (connection: HubConnection, end: (reason: EndReason) => void) => () => void;
  /** False while the store says it is unreachable (requests are refused at once meanwhile). */
  storeUp = true;
  private readonly byTopic = new Map<string, Set<Subscriber>>();
  /**
   * Every live connection, how to end it (`disconnect`, expiry, draining) and to drop topics of
   * it (`hub.unsubscribe`), oldest first.
   */
  readonly connections = new Map<HubConnection, Tracked>();
  /** Prometheus metrics, when the `metrics` option is on (set by `createHub`). */
  metrics?: HubMetrics;
  private readonly unsubscribeStore: (() => void)[];
  private outage?: { since: number; refused: number };

  constructor(options: HubOptions) {
    this.options = { ...defaults, ...stripUndefined(options) } as ResolvedHubOptions;
    const { allowedOrigins } = this.options;
    if (Array.isArray(allowedOrigins)) this.options.allowedOrigins = allowedOrigins.map(asOrigin);
    this.log = new HubLog(options.logger);
    this.store =
      options.store ??
      (options.redis
        ? redisStore(options.redis, this.options, options)
        : new MemoryStore(this.options));
    this.presence = createPresence(this.options, this.log, this.retryAfter);
    this.unsubscribeStore = [
      this.store.onEvent((event) => this.fanOut(event)),
      this.store.onEpoch?.((latest, previous) => this.newEpoch(latest, previous)) ?? (() => {}),
      this.store.onStatus?.((up, reason) => this.storeStatus(up, reason)) ?? (() => {}),
      this.store.onBroadcast?.((message) => this.onBroadcast(message)) ?? (() => {}),
      this.store.onGapFill?.((events) => this.metrics?.gapFilled(events)) ?? (() => {}),
      this.store.shareCounts?.(() => this.localCounts()) ?? (() => {}),
    ];
  }

  /** Seconds a client should wait before trying again while the store is away. */
  get retryAfter(): number {
    return Math.max(1, Math.ceil(this.options.retry / 1000));
  }

  /**
   * The refusal for a failed store call (Redis away, paused or timing out): `503 unavailable`
   * with `Retry-After`. Counted for the outage's log line.
   */
  unavailable(error?: unknown): HubError {
    if (error instanceof HubError) return error;
    if (this.outage) this.outage.refused++;
    else this.log.incident('store errors', `store error: ${describe(error)}`);
    // The cause's own closing period would double the sentence's (`reachable.. Try`).
    const detail = error ? `: ${describe(error).replace(/[.\s]+$/, '')}` : '';
    return new HubError(
      'unavailable',
      `The store is unavailable${detail}. Try again later.`,
      503,
      this.retryAfter,
    );
  }

  /** Throws `unavailable` at once while the store is known to be down, or `closing`. */
  assertOpen(): void {
    if (this.closing)
      throw new HubError('closing', 'The hub is shutting down.', 503, this.retryAfter);
    if (!this.storeUp) throw this.unavailable();
  }

  /** `assertOpen`, and `503 draining` while draining: a new subscription would only be moved again. */
  assertAdmitting(): void {
    this.assertOpen();
    if (this.draining) throw drainingError();
  }

  /** `authorize`'s answer as a grant (`true`: `{}`), or null for a refusal (or a throw). */
  async authorize(request: AuthorizeRequest): Promise<AuthGrant | null> {
    if (!this.options.authorize) return {};
    try {
      const answer = await this.options.authorize(request);
      if (answer === true) return {};
      if (!answer || typeof answer !== 'object') return null;
      const { expiresAt } = answer;
      // Fail closed: NaN (Date.parse of a bad date) or a string would never expire; a time in
      // seconds (a JWT's `exp` passed as is) would have expired in 1970 and loop on refresh.
      if (
        expiresAt !== undefined &&
        (typeof expiresAt !== 'number' || Number.isNaN(expiresAt) || expiresAt < SECONDS_BELOW)
      ) {
        this.log.incident(
          'bad expiresAt',
          `authorize returned expiresAt ${String(expiresAt)}, not ms since the epoch${
            typeof expiresAt === 'number' && expiresAt < SECONDS_BELOW
              ? ' (seconds? a JWT exp needs × 1000)'
              : ''
          }: refused`,
        );
        return null;
      }
      return answer;
    } catch {
      return null;
    }
  }

  /**
   * `authorize`'s grant, or a refusal: `403 forbidden` (with `refusal`), or `401 unauthorized`
   * for a grant that has already expired (the client renews its credentials and comes back).
   */
  async grant(request: AuthorizeRequest, refusal: string): Promise<AuthGrant> {
    const grant = await this.authorize(request);
    if (!grant) throw new HubError('forbidden', refusal, 403);
    if (expired(grant)) throw new HubError('unauthorized', 'The credentials have expired.', 401);
    return grant;
  }

  /**
   * Validates topics for a subscription and asks `authorize` about each; resolves with their
   * grants merged (the earliest `expiresAt`).
   */
  async checkSubscribe(
    req: IncomingMessage,
    topics: unknown[],
    token?: string,
  ): Promise<{ topics: string[]; grant: AuthGrant }> {
    if (!topics.length) throw noTopic();
    const bad = topics.find((topic) => !isValidTopic(topic));
    if (bad !== undefined) throw badTopic(bad);
    if (topics.length > this.options.maxTopicsPerConnection) {
      throw new HubError(
        'too-many-topics',
        `At most ${this.options.maxTopicsPerConnection} topics per connection.`,
        400,
      );
    }
    let grant: AuthGrant = {};
    for (const topic of topics as string[]) {
      const refusal = `Not allowed to subscribe to ${topic}.`;
      grant = mergeGrants(
        grant,
        await this.grant({ req, action: 'subscribe', topic, token }, refusal),
      );
    }
    return { topics: topics as string[], grant };
  }

  /**
   * Registers a live connection and how to end it; returns its release. With an `expiresAt`,
   * `end('expired')` is called then (a timer: a wall-clock step later does not move it).
   */
  track(
    connection: HubConnection,
    end: (reason: EndReason) => void,
    /**
     * Removes `topics` from this connection's subscriptions and tells the client
     * (`hub.unsubscribe`); true when it held any of them.
     */
    drop?: (topics: ReadonlySet<string>) => boolean,
  ): () => void {
    this.connections.set(connection, { end, drop });
    const timer = expiryTimer(connection.expiresAt, () => end('expired'));
    const release = this.onTrack?.(connection, end);
    return () => {
      clearTimeout(timer);
      release?.();
      this.connections.delete(connection);
    };
  }

  /**
   * Ends the connections that `selector` matches (`hub.disconnect`): SSE streams with a final
   * `$revoked` event, WebSockets with 4401, held long-polls with `401 unauthorized`. An object
   * selector is also sent to every other process on the store. Resolves with the number ended
   * in this process.
   */
  async disconnect(selector: DisconnectSelector): Promise<number> {
    if (typeof selector === 'function') return this.endMatching(selector);
    const ended = this.endMatching(matcher(selector));
    await this.store.broadcast?.(JSON.stringify({ disconnect: selector }));
    return ended;
  }

  private endMatching(predicate: (connection: HubConnection) => boolean): number {
    let ended = 0;
    for (const [connection, { end }] of [...this.connections]) {
      if (!matches(predicate, connection)) continue;
      this.connections.delete(connection);
      end('revoked');
      ended++;
    }
    return ended;
  }

  /**
   * Removes `topics` from the live subscriptions of the connections `selector` matches, on every
   * transport; their other topics go on (`hub.unsubscribe`). An object selector also reaches every
   * other process on the store. Resolves with the number of connections that lost a topic here.
   */
  async unsubscribe(selector: DisconnectSelector, topics: string | string[]): Promise<number> {
    const list = typeof topics === 'string' ? [topics] : topics;
    if (!Array.isArray(list)) {
      throw new HubError('bad-topic', 'topics is a topic name or an array of them.', 400);
    }
    if (!list.length) throw noTopic();
    for (const topic of list) if (!isValidTopic(topic)) throw badTopic(topic);
    if (typeof selector === 'function') return this.dropMatching(selector, list);
    const dropped = this.dropMatching(matcher(selector), list);
    await this.store.broadcast?.(JSON.stringify({ unsubscribe: selector, topics: list }));
    return dropped;
  }

  private dropMatching(predicate: (c: HubConnection) => boolean, topics: string[]): number {
    const set = new Set(topics);
    let dropped = 0;
    for (const [connection, { drop }] of [...this.connections]) {
      if (drop && matches(predicate, connection) && drop(set)) dropped++;
    }
    return dropped;
  }

  /** Another process's selector (or this one's, back from the store: a no-op then). */
  private onBroadcast(message: string): void {
    let parsed: { disconnect?: unknown; unsubscribe?: unknown; topics?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    const { disconnect, unsubscribe, topics } = parsed ?? {};
    if (disconnect && typeof disconnect === 'object') this.endMatching(matcher(disconnect));
    if (unsubscribe && typeof unsubscribe === 'object' && Array.isArray(topics)) {
      const valid = topics.filter((topic): topic is string => isValidTopic(topic));
      if (valid.length) this.dropMatching(matcher(unsubscribe), valid);
    }
  }

  /** This process's live subscriptions per topic. */
  localCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [topic, set] of this.byTopic) counts.set(topic, set.size);
    return counts;
  }

  /**
   * Subscribers per topic — of `names`, or of every topic with any — across every process on the
   * store (others' counts as last written, see `countsInterval`), sorted by topic.
   */
  async topics(names?: string[]): Promise<TopicInfo[]> {
    if (names) for (const topic of names) if (!isValidTopic(topic)) throw badTopic(topic);
    const local = this.localCounts();
    let all: Map<string, number> | undefined;
    try {
      all = await this.store.subscriberCounts?.(names);
    } catch (error) {
      throw this.unavailable(error);
    }
    all ??= local;
    const list = names ?? [...all.keys()];
    return [...new Set(list)]
      .sort()
      .map((topic) => ({ topic, subscribers: all.get(topic) ?? 0, local: local.get(topic) ?? 0 }))
      .filter((info) => names || info.subscribers > 0);
  }

  /**
   * Validates, authorizes (when `req` is given) and stores one publish. `dedup` (a WebSocket
   * publisher's message id) or `idempotencyKey` (HTTP `Idempotency-Key`, scoped to the caller's
   * credentials) makes a repeat within the window resolve to the original event, `duplicate`.
   */
  async publish(topic: unknown, data: unknown, from?: PublishSource): Promise<HubEvent> {
    const [event] = await this.publishMany([topic], data, from);
    return event!;
  }

  /**
   * Publishes one value to several topics: every topic is validated and authorized first, then
   * each gets its own event (one id each, in the order given) in one atomic step of the store:
   * all of them are stored or none (memory, Redis; a custom store without `appendMany` appends
   * one by one). A store failure rejects with `unavailable`.
   */
  async publishMany(topics: unknown[], data: unknown, from?: PublishSource): Promise<HubEvent[]> {
    if (!topics.length) throw noTopic();
    for (const topic of topics) if (!isValidTopic(topic)) throw badTopic(topic);
    if (from?.idempotencyKey !== undefined && !messageIdPattern.test(from.idempotencyKey)) {
      throw new HubError(
        'bad-idempotency-key',
        'An Idempotency-Key is 1–64 printable ASCII characters.',
        400,
      );
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (error) {
      throw new HubError('bad-data', `Data is not JSON: ${(error as Error).message}`, 400);
    }
    if (json === undefined) throw new HubError('bad-data', 'Data is not a JSON value.', 400);
    if (Buffer.byteLength(json) > this.options.maxPayload) {
      throw new HubError('too-large', `Data is larger than ${this.options.maxPayload} bytes.`, 413);
    }
    for (const topic of topics as string[]) {
      if (from) {
        const request = { req: from.req, action: 'publish', topic, token: from.token } as const;
        await this.grant(request, `Not allowed to publish to ${topic}.`);
      }
    }
    // A client that left while `authorize` ran would never learn the id: it would publish again.
    if (from?.gone?.()) throw new HubError('gone', 'The client left.', 499);
    this.assertOpen();
    // One message id per topic: the same key publishes to each topic once. A topic listed twice
    // is published once (its subscribers would get the data twice); both places get that event.
    const distinct = [...new Set(topics as string[])];
    const items = distinct.map((topic) => ({
      topic,
      dedup: dedupOf(from, topic, json),
    }));
    const started = performance.now();
    let events: HubEvent[];
    try {
      events =
        items.length === 1
          ? [await this.store.append(items[0]!.topic, data, json, from?.origin, items[0]!.dedup)]
          : await appendEach(this.store, items, data, json, from?.origin);
    } catch (error) {
      throw this.unavailable(error);
    }
    const duplicates = events.filter((event) => event.duplicate).length;
    const seconds = (performance.now() - started) / 1000;
    this.metrics?.published(from?.via ?? 'api', events.length - duplicates, duplicates, seconds);
    if (distinct.length === topics.length) return events;
    const byTopic = new Map(distinct.map((topic, index) => [topic, events[index]!]));
    return (topics as string[]).map((topic) => byTopic.get(topic)!);
  }

  /**
   * The kept events of `topics` for a server to render with its cursor: the newest `limit`
   * (default `maxReplay`), or with `since` the first `limit` after that cursor (then `cursor` is
   * the last one returned when more follow).
   */
  async history(
    topics: string | string[],
    { limit, since }: { limit?: number; since?: string } = {},
  ): Promise<HistoryPage> {
    const list = typeof topics === 'string' ? [topics] : topics;
    for (const topic of list) if (!isValidTopic(topic)) throw badTopic(topic);
    // Capped by `maxReplay` (which may be Infinity: then every kept event).
    const n = Math.min(
      limit === undefined ? Infinity : parseRewind(limit, 'limit'),
      this.options.maxReplay,
      Number.MAX_SAFE_INTEGER,
    );
    const set = new Set(list);
    const page = (events: HubEvent[]) => events.map(({ id, topic, data }) => ({ id, topic, data }));
    if (since === undefined) {
      const { events, latest } = await this.store.recent(set, n);
      return { events: page(events), cursor: latest };
    }
    // A page: the first n (one more tells that more follow), never too-many for a backlog past
    // maxReplay — the page itself is bounded.
    const replay = await this.store.replay(
      since,
      set,
      this.options.maxReplay,
      Number.isFinite(n) ? n + 1 : undefined,
    );
    const events = replay.events ?? [];
    const kept = events.slice(0, n);
    const reset = 'reset' in replay ? replay : undefined;
    let cursor: string;
    if (kept.length < events.length) cursor = kept.at(-1)?.id ?? (reset ? replay.latest! : since);
    else if (reset) cursor = kept.at(-1)?.id ?? reset.latest;
    else cursor = replay.latest ?? kept.at(-1)?.id ?? since;
    const answer: HistoryPage = { events: page(kept), cursor };
    if (reset) answer.reset = reset.reset;
    if (reset?.topics) answer.lost = reset.topics;
    return answer;
  }

  attach(subscriber: Subscriber): void {
    for (const topic of subscriber.topics) {
      let set = this.byTopic.get(topic);
      if (!set) this.byTopic.set(topic, (set = new Set()));
      set.add(subscriber);
    }
  }

  detach(subscriber: Subscriber): void {
    for (const topic of subscriber.topics) {
      const set = this.byTopic.get(topic);
      set?.delete(subscriber);
      if (set?.size === 0) this.byTopic.delete(topic);
    }
  }

  close(): void {
    this.closing = true;
    this.metrics?.close();
    for (const off of this.unsubscribeStore) off();
    this.log.flush();
  }

  /** Every live subscriber hears of the new epoch before its first event. */
  private newEpoch(latest: string, previous: string): void {
    const subscribers = new Set([...this.byTopic.values()].flatMap((set) => [...set]));
    this.log.warn(
      `the store lost its data set: new epoch ${latest.slice(0, latest.lastIndexOf('-'))} ` +
        `(was ${previous.slice(0, previous.lastIndexOf('-'))}); ` +
        `${subscribers.size} live subscriptions told to reset`,
    );
    for (const subscriber of subscribers) subscriber.newEpoch(latest);
  }

  private storeStatus(up: boolean, reason?: string): void {
    if (up === this.storeUp) return;
    this.storeUp = up;
    if (!up) {
      this.outage = { since: Date.now(), refused: 0 };
      this.log.warn(`store down${reason ? ` (${reason})` : ''}: requests get 503 meanwhile`);
      return;
    }
    const { since, refused } = this.outage ?? { since: Date.now(), refused: 0 };
    this.outage = undefined;
    this.log.info(
      `store up again after ${((Date.now() - since) / 1000).toFixed(1)} s; ` +
        `${refused} requests refused meanwhile`,
    );
  }

  private fanOut(event: HubEvent): void {
    for (const subscriber of this.byTopic.get(event.topic) ?? []) {
      if (event.origin && event.origin === subscriber.skipOrigin) continue;
      subscriber.push(event);
    }
  }
}

/** Who publishes through a transport: the request (for `authorize`), and whether it left. */
export interface PublishSource {
  req: IncomingMessage;
  token?: string;
  /** The publishing connection, skipped by its own subscriptions (no self-echo). */
  origin?: string;
  /** True once the client is gone: nothing is stored for a client that cannot learn the id. */
  gone?: () => boolean;
  /** A WebSocket publisher's message id. */
  dedup?: Dedup;
  /** HTTP `Idempotency-Key`. */
  idempotencyKey?: string;
  /** The transport it came through (the metrics' `source` label; `api` without a source). */
  via?: PublishSourceLabel;
}

/** A live connection's ends: `end` closes it, `drop` removes topics from it. */
interface Tracked {
  end: (reason: EndReason) => void;
  drop?: (topics: ReadonlySet<string>) => boolean;
}

/** Whether `predicate` selects `connection`; a predicate that throws selects nothing. */
function matches(predicate: (c: HubConnection) => boolean, connection: HubConnection): boolean {
  try {
    return predicate(connection) === true;
  } catch {
    return false;
  }
}

/** `appendMany` of `store`, or (a custom store without it) one `append` after the other. */
async function appendEach(
  store: HubStore,
  items: readonly { topic: string; dedup?: Dedup }[],
  data: unknown,
  json: string,
  origin?: string,
): Promise<HubEvent[]> {
  if (store.appendMany) return store.appendMany(items, data, json, origin);
  const events: HubEvent[] = [];
  for (const { topic, dedup } of items)
    events.push(await store.append(topic, data, json, origin, dedup));
  return events;
}

/**
 * A `rewind` (or `limit`) value from a query parameter or a frame: a whole number ≥ 0, capped by
 * `maxReplay` by the caller. Anything else is `400 bad-rewind`.
 */
export function parseRewind(value: unknown, name = 'rewind'): number {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
  throw new HubError(
    'bad-rewind',
    `${name} must be a whole number of events ≥ 0, not ${JSON.stringify(value)}.`,
    400,
  );
}

const topicRules =
  'topic names are 1–128 of letters, digits and _ . : / - (not "reset" or "cursor"); ' +
  'several topics are separated by spaces or commas, or given as repeated topic= parameters';

/** `400 bad-topic` naming the whole offending value. */
export const badTopic = (topic: unknown, within?: string): HubError =>
  new HubError(
    'bad-topic',
    `Invalid topic ${JSON.stringify(topic)}${
      within !== undefined && within !== topic ? ` in topic=${JSON.stringify(within)}` : ''
    }: ${topicRules}.`,
    400,
  );

/** `503 draining` (`Retry-After: 1`): this process is being drained, another one takes the client. */
export const drainingError = (): HubError =>
  new HubError('draining', 'This hub process is draining: connect again.', 503, 1);

export const noTopic = (): HubError =>
  new HubError('bad-topic', 'No topic given: add ?topic=<name> (or several).', 400);

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error ?? 'unknown error');

/**
 * The de-duplication key of a publish to `topic`. An HTTP `Idempotency-Key` is scoped to the
 * caller: the publisher is a hash of its credentials (`Authorization` and `Cookie`), so one
 * caller's key never matches another's. Every key is scoped to its topic too: a key reused for
 * another topic would otherwise answer that topic's event id and store nothing (a lost message).
 */
function dedupOf(from: PublishSource | undefined, topic: string, json: string): Dedup | undefined {
  const dedup = from?.dedup ?? httpDedup(from, json);
  return dedup && { ...dedup, msg: `${topic} ${dedup.msg}` };
}

/**
 * An HTTP key names one request: the key plus a fingerprint of its body. A retry sends the same
 * body and matches; a key reused with other data would otherwise answer the first event's id
 * and store nothing (a lost message), so it publishes as a new message instead
 * (draft-ietf-httpapi-idempotency-key-header § 2.2: the key and a fingerprint of the payload).
 */
function httpDedup(from: PublishSource | undefined, json: string): Dedup | undefined {
  if (!from?.idempotencyKey) return undefined;
  const { authorization = '', cookie = '' } = from.req.headers;
  const caller = createHash('sha256').update(`${authorization}\n${cookie}`).digest('base64url');
  const body = createHash('sha256').update(json).digest('base64url').slice(0, 16);
  return { publisher: `http-${caller}`, msg: `${from.idempotencyKey} ${body}` };
}

/** Whether a grant's `expiresAt` has passed. */
export const expired = (grant: AuthGrant): boolean =>
  typeof grant.expiresAt === 'number' && grant.expiresAt <= Date.now();

/** Two grants of one client as one: the first `user`/`info` given, the earliest `expiresAt`. */
export function mergeGrants(a: AuthGrant, b: AuthGrant): AuthGrant {
  const times = [a.expiresAt, b.expiresAt].filter((t): t is number => typeof t === 'number');
  return {
    user: a.user ?? b.user,
    info: a.info ?? b.info,
    expiresAt: times.length ? Math.min(...times) : undefined,
  };
}

/** The longest delay `setTimeout` honours, ms. */
const maxTimer = 2 ** 31 - 1;

/** Calls `fire` at `expiresAt` (ms since the epoch), measured from now; none without one. */
export function expiryTimer(
  expiresAt: number | undefined,
  fire: () => void,
): ReturnType<typeof setTimeout> | undefined {
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined;
  const timer = setTimeout(fire, Math.min(maxTimer, Math.max(0, expiresAt - Date.now())));
  timer.unref?.();
  return timer;
}

/** An object selector as a predicate: each given field (`user`, `token`) must match; `{}` none. */
function matcher(selector: object): (connection: HubConnection) => boolean {
  const { user, token } = selector as { user?: unknown; token?: unknown };
  if (user === undefined && token === undefined) return () => false;
  return (connection) =>
    (user === undefined || connection.user === user) &&
    (token === undefined || connection.token === token);
}

const stripUndefined = <T extends object>(object: T): Partial<T> =>
  Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as Partial<T>;

/**
 * An allowed origin as a browser serialises it in `Origin` (RFC 6454 § 6.2): lower case, no
 * default port, no path. `http://App.example/` would otherwise never match and refuse everyone.
 */
function asOrigin(value: string): string {
  try {
    const { origin } = new URL(value);
    return origin === 'null' ? value : origin;
  } catch {
    return value;
  }
}

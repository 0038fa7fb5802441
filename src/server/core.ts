import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { defaultLimits, messageIdPattern } from '../internal/protocol.js';
import { isValidTopic } from './http.js';
import { MemoryStore } from './memory-store.js';
import type { Subscriber } from './subscriber.js';
import type { AuthorizeRequest, Dedup, HubEvent, HubOptions, HubStore } from './types.js';

export type ResolvedHubOptions = Required<
  Omit<HubOptions, 'authorize' | 'store' | 'allowedOrigins' | 'redis'>
> &
  Pick<HubOptions, 'authorize' | 'allowedOrigins' | 'redis'>;

/** A store loaded on first use (the Redis store and its client load only when asked for). */
class LazyStore implements HubStore {
  private readonly store: Promise<HubStore>;
  constructor(load: () => Promise<HubStore>) {
    this.store = load();
    this.store.catch(() => {});
  }
  append(...args: Parameters<HubStore['append']>) {
    return this.store.then((store) => store.append(...args));
  }
  replay(...args: Parameters<HubStore['replay']>) {
    return this.store.then((store) => store.replay(...args));
  }
  latestId() {
    return this.store.then((store) => store.latestId());
  }
  onEvent(listener: (event: HubEvent) => void) {
    let off: (() => void) | undefined;
    let cancelled = false;
    void this.store.then((store) => {
      if (!cancelled) off = store.onEvent(listener);
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
  { historyLimit, dedupWindow, dedupAge }: ResolvedHubOptions,
): HubStore {
  const options = typeof redis === 'string' ? { url: redis } : redis;
  return new LazyStore(async () => {
    const { RedisStore } = await import('./redis-store.js');
    return new RedisStore({
      historyLimit: Math.max(historyLimit, 10_000),
      dedupWindow,
      dedupAge,
      ...options,
    });
  });
}

export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const defaults = {
  basePath: '/realtime',
  historyLimit: 1000,
  historyBytes: 1 << 20,
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
};

/** The part of the hub that every transport uses. */
export class HubCore {
  readonly options: ResolvedHubOptions;
  readonly store: HubStore;
  closing = false;
  private readonly byTopic = new Map<string, Set<Subscriber>>();
  private readonly unsubscribeStore: () => void;

  constructor(options: HubOptions) {
    this.options = { ...defaults, ...stripUndefined(options) } as ResolvedHubOptions;
    this.store =
      options.store ??
      (options.redis
        ? redisStore(options.redis, this.options)
        : new MemoryStore(this.options.historyLimit, this.options.historyBytes, this.options));
    this.unsubscribeStore = this.store.onEvent((event) => this.fanOut(event));
  }

  async authorize(request: AuthorizeRequest): Promise<boolean> {
    if (!this.options.authorize) return true;
    try {
      return (await this.options.authorize(request)) === true;
    } catch {
      return false;
    }
  }

  /** Validates topics for a subscription and asks `authorize` about each. */
  async checkSubscribe(req: IncomingMessage, topics: unknown[], token?: string): Promise<string[]> {
    if (!topics.length) throw new HubError('bad-topic', 'No topic given.', 400);
    const bad = topics.find((topic) => !isValidTopic(topic));
    if (bad !== undefined)
      throw new HubError('bad-topic', `Invalid topic ${JSON.stringify(bad)}.`, 400);
    if (topics.length > this.options.maxTopicsPerConnection) {
      throw new HubError(
        'too-many-topics',
        `At most ${this.options.maxTopicsPerConnection} topics per connection.`,
        400,
      );
    }
    for (const topic of topics as string[]) {
      if (!(await this.authorize({ req, action: 'subscribe', topic, token }))) {
        throw new HubError('forbidden', `Not allowed to subscribe to ${topic}.`, 403);
      }
    }
    return topics as string[];
  }

  /**
   * Validates, authorizes (when `req` is given) and stores one publish. `dedup` (a WebSocket
   * publisher's message id) or `idempotencyKey` (HTTP `Idempotency-Key`, scoped to the caller's
   * credentials) makes a repeat within the window resolve to the original event, `duplicate`.
   */
  async publish(
    topic: unknown,
    data: unknown,
    from?: {
      req: IncomingMessage;
      token?: string;
      origin?: string;
      dedup?: Dedup;
      idempotencyKey?: string;
    },
  ): Promise<HubEvent> {
    if (!isValidTopic(topic))
      throw new HubError('bad-topic', `Invalid topic ${JSON.stringify(topic)}.`, 400);
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
    if (
      from &&
      !(await this.authorize({ req: from.req, action: 'publish', topic, token: from.token }))
    ) {
      throw new HubError('forbidden', `Not allowed to publish to ${topic}.`, 403);
    }
    if (this.closing) throw new HubError('closing', 'The hub is shutting down.', 503);
    try {
      return await this.store.append(topic, data, json, from?.origin, dedupOf(from));
    } catch (error) {
      throw new HubError(
        'unavailable',
        `The store refused the event: ${(error as Error).message}`,
        503,
      );
    }
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
    this.unsubscribeStore();
  }

  private fanOut(event: HubEvent): void {
    for (const subscriber of this.byTopic.get(event.topic) ?? []) {
      if (event.origin && event.origin === subscriber.skipOrigin) continue;
      subscriber.push(event);
    }
  }
}

/**
 * The de-duplication key of a publish. An HTTP `Idempotency-Key` is scoped to the caller: the
 * publisher is a hash of its credentials (`Authorization` and `Cookie`), so one caller's key
 * never matches another's.
 */
function dedupOf(from?: {
  req: IncomingMessage;
  dedup?: Dedup;
  idempotencyKey?: string;
}): Dedup | undefined {
  if (from?.dedup) return from.dedup;
  if (!from?.idempotencyKey) return undefined;
  const { authorization = '', cookie = '' } = from.req.headers;
  const caller = createHash('sha256').update(`${authorization}\n${cookie}`).digest('base64url');
  return { publisher: `http-${caller}`, msg: from.idempotencyKey };
}

const stripUndefined = <T extends object>(object: T): Partial<T> =>
  Object.fromEntries(
    Object.entries(object).filter(([, value]) => value !== undefined),
  ) as Partial<T>;

import { Redis, type RedisOptions } from 'ioredis';
import { newEpoch, parseCursor } from './memory-store.js';
import type { Dedup, HubEvent, HubStore, Replay } from './types.js';

export interface RedisStoreOptions {
  /** `redis://host:port/db` */
  url: string;
  /** Key prefix, so several hubs can share one Redis. Default `rt`. */
  prefix?: string;
  /** History kept in the stream (approximately: `XADD … MAXLEN ~`). Default 10,000. */
  historyLimit?: number;
  /**
   * Extra ioredis `RedisOptions`, passed through. Typed loosely so the hub's declarations do not
   * need `ioredis` (an optional peer) installed.
   */
  redisOptions?: Record<string, unknown>;
  /** Message ids remembered per publisher for de-duplication. Default 1000. */
  dedupWindow?: number;
  /** A publisher's ids are forgotten once it has been silent this long (Redis `PEXPIRE`), ms. Default 300,000. */
  dedupAge?: number;
}

// The epoch names one Redis data set. When its key is missing the data set was lost (FLUSHALL,
// a restart without persistence, eviction): the first script to notice starts a new epoch
// from nothing, inside the same atomic step, so no id is ever issued twice under one epoch.
const ensureEpoch = `
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SET', KEYS[3], epoch)
end`;

// One script appends an event: epoch check, seq, stream entry and fan-out message are one
// atomic step, so every process sees one global order. A counter below what this process has
// already delivered under the same epoch means the data set went back in time (restored from
// an older snapshot): its next ids were issued before, so it becomes a new epoch too.
// The de-duplication window (KEYS[5], a sorted set per publisher: message id → seq) is checked
// and written in the same step, so two processes never both store one message; a repeat
// returns its original seq, negated, and stores nothing.
// KEYS: stream, seq, epoch, channel, dedup.
// ARGV: new epoch, topic, json, origin, history limit, known epoch, seq delivered under it,
// message id ('' when none), window (ids kept), age (ms).
const appendScript = `${ensureEpoch}
if epoch == ARGV[6] and tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[7]) then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SET', KEYS[3], epoch)
end
local dedup = ARGV[8] ~= ''
if dedup then
  local stored = redis.call('ZSCORE', KEYS[5], ARGV[8])
  if stored then return { epoch, -tonumber(stored) } end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '0-' .. seq, 't', ARGV[2], 'd', ARGV[3], 'o', ARGV[4])
redis.call('PUBLISH', KEYS[4], cjson.encode({ epoch, seq, ARGV[2], ARGV[3], ARGV[4] }))
if dedup then
  redis.call('ZADD', KEYS[5], seq, ARGV[8])
  local extra = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[9])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[5], 0, extra - 1) end
  redis.call('PEXPIRE', KEYS[5], ARGV[10])
end
return { epoch, seq }`;

// The state and the entries after a seq, read in one atomic step (an epoch change between two
// reads would otherwise label new entries with the old epoch).
// KEYS: stream, seq, epoch. ARGV: new epoch, after seq, count (0: state only).
const readScript = `${ensureEpoch}
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local entries = {}
local after = tonumber(ARGV[2])
if tonumber(ARGV[3]) > 0 and after < seq then
  entries = redis.call('XRANGE', KEYS[1], '0-' .. (after + 1), '+', 'COUNT', ARGV[3])
end
return { epoch, seq, oldest[1] and oldest[1][1] or '', entries }`;

// A data set that went back in time (restored from an older snapshot) still has its epoch but
// a seq below what was already delivered: its ids would be issued twice. Start a new epoch,
// unless another process already did. KEYS: stream, seq, epoch. ARGV: old epoch, new epoch.
const rotateScript = `
if redis.call('GET', KEYS[3]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SET', KEYS[3], ARGV[2])
end
return 1`;

interface State {
  epoch: string;
  seq: number;
  oldestSeq: number | undefined;
  entries: [string, string[]][];
}

type Scripts = {
  rtAppend(...args: (string | number)[]): Promise<[string, number]>;
  rtRead(...args: (string | number)[]): Promise<[string, number, string, [string, string[]][]]>;
  rtRotate(...args: string[]): Promise<number>;
};

/** Entries read per round trip when catching up or replaying. */
const page = 1000;

/**
 * The hub's store across processes: ids from one Redis counter, history in a Redis Stream
 * (`XADD … MAXLEN ~`), live fan-out through Pub/Sub. Every process delivers events in seq order,
 * filling any gap (a missed Pub/Sub message, a reconnect) from the stream. A lost data set is a
 * new epoch, announced (`onEpoch`) before its first event.
 */
export class RedisStore implements HubStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly keys: {
    stream: string;
    seq: string;
    channel: string;
    control: string;
    epoch: string;
    dedup: string;
  };
  private readonly limit: number;
  private readonly dedupWindow: number;
  private readonly dedupAge: number;
  /** The epoch and seq delivered to listeners so far; undefined until the first read. */
  private epoch?: string;
  private delivered = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private readonly epochListeners = new Set<(latest: string, previous: string) => void>();
  private readonly statusListeners = new Set<(up: boolean, reason?: string) => void>();
  private readonly broadcastListeners = new Set<(message: string) => void>();
  private up?: boolean;
  private everReady = false;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.prefix ?? 'rt';
    this.keys = {
      stream: `${prefix}:events`,
      seq: `${prefix}:seq`,
      channel: `${prefix}:live`,
      control: `${prefix}:control`,
      epoch: `${prefix}:epoch`,
      dedup: `${prefix}:dedup:`,
    };
    this.limit = options.historyLimit ?? 10_000;
    this.dedupWindow = options.dedupWindow ?? 1000;
    this.dedupAge = options.dedupAge ?? 300_000;
    // Commands fail at once while Redis is away (no unbounded offline queue), and after 2 s
    // when it does not answer (paused, overloaded): requests get 503 instead of hanging.
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...options.redisOptions,
    };
    this.client = new Redis(options.url, { commandTimeout: 2000, ...common });
    this.subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true });
    this.client.on('error', () => {});
    this.subscriber.on('error', () => {});
    this.client.on('ready', () => {
      this.everReady = true;
      this.status(true);
      this.catchUp();
    });
    this.client.on('close', () => this.status(false, 'connection to Redis lost'));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.control) return this.onLive(message);
      for (const listener of this.broadcastListeners) listener(message);
    });
    // After a reconnect, catch up on what Pub/Sub missed meanwhile (and notice an epoch change:
    // a Redis that restarted empty).
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.keys.channel, this.keys.control).then(
        () => void this.catchUp(),
        () => {},
      );
    });
    this.client.defineCommand('rtAppend', { numberOfKeys: 5, lua: appendScript });
    this.client.defineCommand('rtRead', { numberOfKeys: 3, lua: readScript });
    this.client.defineCommand('rtRotate', { numberOfKeys: 3, lua: rotateScript });
  }

  async append(
    topic: string,
    data: unknown,
    json: string,
    origin = '',
    dedup?: Dedup,
  ): Promise<HubEvent> {
    await this.ready();
    const { stream, seq: seqKey, epoch: epochKey, channel } = this.keys;
    const [epoch, result] = await this.scripts.rtAppend(
      stream,
      seqKey,
      epochKey,
      channel,
      this.keys.dedup + (dedup?.publisher ?? ''),
      newEpoch(),
      topic,
      json,
      origin,
      this.limit,
      this.epoch ?? '',
      this.delivered,
      dedup?.msg ?? '',
      this.dedupWindow,
      this.dedupAge,
    );
    if (epoch !== this.epoch) this.catchUp();
    const seq = Math.abs(Number(result));
    const event: HubEvent = { id: `${epoch}-${seq}`, seq, topic, data, json };
    if (origin) event.origin = origin;
    if (Number(result) < 0) event.duplicate = true;
    return event;
  }

  async replay(cursor: string, topics: ReadonlySet<string>): Promise<Replay> {
    await this.started();
    const parsed = parseCursor(cursor);
    const state = await this.read(parsed?.seq ?? 0, parsed ? page : 0);
    const latest = `${state.epoch}-${state.seq}`;
    if (!parsed) return { reset: 'invalid', latest };
    if (parsed.epoch !== state.epoch) {
      // A cursor of a lost data set: the new one's history is all new to the client, when kept.
      if (state.seq > 0 && state.oldestSeq !== 1) return { reset: 'epoch', latest };
      const all = await this.collect(await this.read(0, page), 0, topics);
      if (!all) return { reset: 'epoch', latest };
      return { reset: 'epoch', latest: `${state.epoch}-0`, events: all };
    }
    if (parsed.seq > state.seq) return { reset: 'invalid', latest };
    if (parsed.seq === state.seq) return { events: [] };
    if ((state.oldestSeq ?? state.seq + 1) > parsed.seq + 1) return { reset: 'too-old', latest };
    const events = await this.collect(state, parsed.seq, topics);
    // Lost while reading: the events cannot be known.
    if (!events) return { reset: 'epoch', latest: await this.latestId() };
    return { events };
  }

  /**
   * The events of `topics` after `after` up to `first.seq`, paging from `first` (a read after
   * `after`); undefined when the epoch changed meanwhile.
   */
  private async collect(
    first: State,
    after: number,
    topics: ReadonlySet<string>,
  ): Promise<HubEvent[] | undefined> {
    const events: HubEvent[] = [];
    const end = first.seq;
    let state = first;
    for (;;) {
      if (state.epoch !== first.epoch) return undefined;
      for (const [id, fields] of state.entries) {
        const event = this.toEvent(state.epoch, seqOfStreamId(id), fields);
        if (event.seq > after && event.seq <= end && topics.has(event.topic)) events.push(event);
      }
      const last = state.entries.at(-1);
      if (!last || seqOfStreamId(last[0]) >= end) return events;
      state = await this.read(seqOfStreamId(last[0]), page);
    }
  }

  async latestId(): Promise<string> {
    await this.started();
    const { epoch, seq } = await this.read(Number.MAX_SAFE_INTEGER, 0);
    return `${epoch}-${seq}`;
  }

  onEvent(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onEpoch(listener: (latest: string, previous: string) => void): () => void {
    this.epochListeners.add(listener);
    return () => this.epochListeners.delete(listener);
  }

  onStatus(listener: (up: boolean, reason?: string) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** To every process on this Redis (`hub.disconnect` selectors), through Pub/Sub. */
  async broadcast(message: string): Promise<void> {
    await this.client.publish(this.keys.control, message);
  }

  onBroadcast(listener: (message: string) => void): () => void {
    this.broadcastListeners.add(listener);
    return () => this.broadcastListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.broadcastListeners.clear();
    this.listeners.clear();
    this.epochListeners.clear();
    this.statusListeners.clear();
    this.subscriber.disconnect();
    this.client.disconnect();
  }

  private get scripts(): Scripts {
    return this.client as unknown as Scripts;
  }

  private status(up: boolean, reason?: string): void {
    if (this.closed || up === this.up) return;
    // A connection that never came up is not news until it has been tried once.
    this.up = up;
    for (const listener of this.statusListeners) listener(up, reason);
  }

  /** Waits for the first connection (2 s at most); once connected, a lost one fails at once. */
  private async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.everReady || this.closed) throw new Error('Redis is not reachable.');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error('Redis is not reachable.'));
      }, 2000);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  /**
   * Resolves once this process knows the epoch and the seq it delivers from, so a subscriber's
   * starting cursor is never ahead of the live fan-out's (which would open a gap).
   */
  private async started(): Promise<void> {
    await this.ready();
    if (this.epoch === undefined) await this.catchUp();
  }

  private async read(after: number, count: number): Promise<State> {
    await this.ready();
    const { stream, seq: seqKey, epoch: epochKey } = this.keys;
    const [epoch, seq, oldest, entries] = await this.scripts.rtRead(
      stream,
      seqKey,
      epochKey,
      newEpoch(),
      after,
      count,
    );
    // Any read may be the first to see a new epoch: the live fan-out follows at once.
    if (this.epoch !== undefined && epoch !== this.epoch) this.catchUp();
    return {
      epoch,
      seq: Number(seq),
      oldestSeq: oldest ? seqOfStreamId(oldest) : undefined,
      entries,
    };
  }

  private toEvent(epoch: string, seq: number, fields: string[]): HubEvent {
    const map = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
    const json = map.get('d') ?? 'null';
    return {
      id: `${epoch}-${seq}`,
      seq,
      topic: map.get('t') ?? '',
      data: JSON.parse(json),
      json,
      origin: map.get('o') || undefined,
    };
  }

  /** Runs delivery work one at a time, in order. */
  private enqueue(work: () => Promise<void> | void): Promise<void> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => {});
    return run;
  }

  private onLive(message: string): void {
    void this.enqueue(async () => {
      const [epoch, seq, topic, json, origin] = JSON.parse(message) as [
        string,
        number,
        string,
        string,
        string,
      ];
      // Another epoch (new, or a stale message of the old one) or a gap: Redis decides.
      if (epoch !== this.epoch || seq > this.delivered + 1) return this.fill();
      this.deliver({
        id: `${epoch}-${seq}`,
        seq,
        topic,
        data: JSON.parse(json),
        json,
        origin: origin || undefined,
      });
    }).catch(() => {});
  }

  /** Catches up with Redis (new epoch, missed events) in the delivery order. */
  private catchUp(): Promise<void> {
    const run = this.enqueue(() => this.fill());
    run.catch(() => {});
    return run;
  }

  /** Delivers every stored event after `delivered`; switches epoch first when Redis has a new one. */
  private async fill(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const known = this.epoch;
      const state = await this.read(this.delivered, known === undefined ? 0 : page);
      if (known === undefined) {
        // Start from now: earlier events are a subscriber's replay, not live.
        this.epoch = state.epoch;
        this.delivered = state.seq;
        return;
      }
      if (state.epoch !== known) {
        this.switchEpoch(state.epoch);
        continue;
      }
      if (state.seq < this.delivered) {
        // Went back in time (an older snapshot): those ids would be issued twice.
        await this.scripts.rtRotate(
          this.keys.stream,
          this.keys.seq,
          this.keys.epoch,
          known,
          newEpoch(),
        );
        continue;
      }
      for (const [id, fields] of state.entries)
        this.deliver(this.toEvent(state.epoch, seqOfStreamId(id), fields));
      if (state.entries.length < page || this.delivered >= state.seq) return;
    }
  }

  private switchEpoch(epoch: string): void {
    const previous = `${this.epoch}-${this.delivered}`;
    this.epoch = epoch;
    this.delivered = 0;
    for (const listener of this.epochListeners) listener(`${epoch}-0`, previous);
  }

  private deliver(event: HubEvent): void {
    if (event.seq <= this.delivered) return;
    this.delivered = event.seq;
    for (const listener of this.listeners) listener(event);
  }
}

const seqOfStreamId = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

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

// One script appends an event: the seq, the stream entry and the fan-out message are one
// atomic step, so every process sees one global order. The de-duplication window (KEYS[4], a
// sorted set per publisher: message id → seq) is checked and written in the same step, so two
// processes never both store one message; a repeat returns its original seq, negated.
const appendScript = `
local dedup = ARGV[5] ~= ''
if dedup then
  local stored = redis.call('ZSCORE', KEYS[4], ARGV[5])
  if stored then return -tonumber(stored) end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '0-' .. seq, 't', ARGV[1], 'd', ARGV[2], 'o', ARGV[3])
redis.call('PUBLISH', KEYS[3], cjson.encode({ seq, ARGV[1], ARGV[2], ARGV[3] }))
if dedup then
  redis.call('ZADD', KEYS[4], seq, ARGV[5])
  local extra = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[6])
  if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[4], 0, extra - 1) end
  redis.call('PEXPIRE', KEYS[4], ARGV[7])
end
return seq`;

/**
 * The hub's store across processes: ids from one Redis counter, history in a Redis Stream
 * (`XADD … MAXLEN ~`), live fan-out through Pub/Sub. Every process delivers events in seq order,
 * filling any gap (a missed Pub/Sub message, a reconnect) from the stream.
 */
export class RedisStore implements HubStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly keys: {
    stream: string;
    seq: string;
    channel: string;
    epoch: string;
    dedup: string;
  };
  private readonly limit: number;
  private readonly dedupWindow: number;
  private readonly dedupAge: number;
  private epoch?: Promise<string>;
  private delivered = 0;
  private chain = Promise.resolve();
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.prefix ?? 'rt';
    this.keys = {
      stream: `${prefix}:events`,
      seq: `${prefix}:seq`,
      channel: `${prefix}:live`,
      epoch: `${prefix}:epoch`,
      dedup: `${prefix}:dedup:`,
    };
    this.limit = options.historyLimit ?? 10_000;
    this.dedupWindow = options.dedupWindow ?? 1000;
    this.dedupAge = options.dedupAge ?? 300_000;
    // Commands fail at once while Redis is away (no unbounded offline queue): publishes reject.
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...options.redisOptions,
    };
    this.client = new Redis(options.url, common);
    this.subscriber = new Redis(options.url, { ...common, enableOfflineQueue: true });
    for (const connection of [this.client, this.subscriber]) connection.on('error', () => {});
    this.subscriber.on('message', (_channel: string, message: string) => this.onLive(message));
    // After a reconnect, catch up on what Pub/Sub missed meanwhile.
    this.subscriber.on('ready', () => {
      void this.subscriber.subscribe(this.keys.channel).then(() => this.catchUp());
    });
    this.client.defineCommand('rtAppend', { numberOfKeys: 4, lua: appendScript });
  }

  /** The shared epoch: created once per Redis data set, so moving between processes keeps cursors. */
  private getEpoch(): Promise<string> {
    this.epoch ??= (async () => {
      await this.ready(this.client);
      await this.client.set(this.keys.epoch, newEpoch(), 'NX');
      const epoch = await this.client.get(this.keys.epoch);
      const seq = Number(await this.client.get(this.keys.seq)) || 0;
      this.delivered = seq;
      return epoch!;
    })().catch((error) => {
      this.epoch = undefined;
      throw error;
    });
    return this.epoch;
  }

  private async ready(connection: Redis): Promise<void> {
    if (connection.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Redis is not reachable.')), 2000);
      connection.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async append(
    topic: string,
    data: unknown,
    json: string,
    origin = '',
    dedup?: Dedup,
  ): Promise<HubEvent> {
    const epoch = await this.getEpoch();
    const result = Number(
      await (
        this.client as unknown as { rtAppend: (...args: unknown[]) => Promise<number> }
      ).rtAppend(
        this.keys.stream,
        this.keys.seq,
        this.keys.channel,
        this.keys.dedup + (dedup?.publisher ?? ''),
        topic,
        json,
        origin,
        this.limit,
        dedup?.msg ?? '',
        this.dedupWindow,
        this.dedupAge,
      ),
    );
    const seq = Math.abs(result);
    const event: HubEvent = { id: `${epoch}-${seq}`, seq, topic, data, json };
    if (origin) event.origin = origin;
    if (result < 0) event.duplicate = true;
    return event;
  }

  async replay(cursor: string, topics: ReadonlySet<string>): Promise<Replay> {
    const epoch = await this.getEpoch();
    const latestSeq = Number(await this.client.get(this.keys.seq)) || 0;
    const latest = `${epoch}-${latestSeq}`;
    const parsed = parseCursor(cursor);
    if (!parsed) return { reset: 'invalid', latest };
    if (parsed.epoch !== epoch) return { reset: 'epoch', latest };
    if (parsed.seq > latestSeq) return { reset: 'invalid', latest };
    if (parsed.seq === latestSeq) return { events: [] };
    const oldest = await this.client.xrange(this.keys.stream, '-', '+', 'COUNT', 1);
    const oldestSeq = oldest.length ? seqOfStreamId(oldest[0]![0]) : latestSeq + 1;
    if (oldestSeq > parsed.seq + 1) return { reset: 'too-old', latest };
    const entries = await this.client.xrange(this.keys.stream, `0-${parsed.seq + 1}`, '+');
    const events = entries
      .map(([id, fields]) => this.toEvent(epoch, seqOfStreamId(id), fields))
      .filter((event) => topics.has(event.topic));
    return { events };
  }

  async latestId(): Promise<string> {
    const epoch = await this.getEpoch();
    return `${epoch}-${Number(await this.client.get(this.keys.seq)) || 0}`;
  }

  onEvent(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    void this.getEpoch().catch(() => {});
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.subscriber.disconnect();
    this.client.disconnect();
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

  /** Delivers in seq order, one at a time; a jump in seq is filled from the stream first. */
  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch(() => {});
  }

  private onLive(message: string): void {
    this.enqueue(async () => {
      const [seq, topic, json, origin] = JSON.parse(message) as [number, string, string, string];
      if (seq <= this.delivered) return;
      const epoch = await this.getEpoch();
      if (seq > this.delivered + 1) await this.fill(epoch, seq - 1);
      this.deliver({
        id: `${epoch}-${seq}`,
        seq,
        topic,
        data: JSON.parse(json),
        json,
        origin: origin || undefined,
      });
    });
  }

  private catchUp(): void {
    this.enqueue(async () => {
      if (this.closed) return;
      const epoch = await this.getEpoch();
      await this.fill(epoch, Infinity);
    });
  }

  private async fill(epoch: string, upTo: number): Promise<void> {
    const end = upTo === Infinity ? '+' : `0-${upTo}`;
    const entries = await this.client.xrange(this.keys.stream, `0-${this.delivered + 1}`, end);
    for (const [id, fields] of entries)
      this.deliver(this.toEvent(epoch, seqOfStreamId(id), fields));
  }

  private deliver(event: HubEvent): void {
    if (event.seq <= this.delivered) return;
    this.delivered = event.seq;
    for (const listener of this.listeners) listener(event);
  }
}

const seqOfStreamId = (id: string): number => Number(id.slice(id.indexOf('-') + 1));

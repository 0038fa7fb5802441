import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { HistoryPolicy, type HistoryOptions, type ResolvedBounds } from './history-policy.js';
import { mergeBySeq, newEpoch, parseCursor } from './memory-store.js';
import {
  appendManyScript,
  appendScript,
  logScript,
  rotateScript,
  topicsScript,
} from './redis-scripts.js';
import { RedisSubscriberCounts } from './redis-counts.js';
import { redisSeeds } from './redis-seeds.js';
import type { Dedup, HubEvent, HubStore, Recent, Replay } from './types.js';

export interface RedisStoreOptions {
  /**
   * `redis://host:port/db`; with `cluster`, any node of the cluster, or several (seed nodes,
   * tried in turn): with one, a hub started while that node is down cannot start at all.
   */
  url: string | string[];
  /**
   * Redis Cluster: connect through ioredis `Cluster` from the node at `url`. Every key of the hub
   * shares one hash tag, so all of them live in one slot (no sharding gain across them).
   */
  cluster?: boolean;
  /**
   * Key prefix, so several hubs can share one Redis. Default `rt`. It becomes the hash tag of
   * every key (`{rt}:seq`, `{rt}:h:<topic>`; a prefix that has a `{…}` already is kept as it is):
   * all keys live in one slot, so the atomic scripts run on Redis Cluster too.
   */
  prefix?: string;
  /**
   * Per-topic bounds, as the hub's `history` option (`limit` events and `ttl` ms; `bytes` is
   * not applied in Redis: bound memory with Redis `maxmemory`).
   */
  history?: HistoryOptions;
  /** Alias of `history.default.limit`. Default 10,000 events per topic. */
  historyLimit?: number;
  /**
   * Entries of the log every hub process catches up from after missing Pub/Sub messages (a
   * reconnect); approximately (`XADD … MAXLEN ~`). Default 10,000.
   */
  logLimit?: number;
  /**
   * Extra ioredis `RedisOptions`, passed through. Typed loosely so the hub's declarations do not
   * need `ioredis` (an optional peer) installed.
   */
  redisOptions?: Record<string, unknown>;
  /** Message ids remembered per publisher for de-duplication. Default 1000. */
  dedupWindow?: number;
  /**
   * Reads the log for events that Pub/Sub did not bring this often, ms; 0 turns it off. Default
   * 1000 with `cluster` (ioredis moves a cluster's Pub/Sub connection to another node when its
   * node fails, and says nothing: what was published meanwhile arrives within this time, not
   * only with the next event), 0 on one Redis (a reconnect there catches up at once).
   */
  catchUpInterval?: number;
  /** A publisher's ids are forgotten once it has been silent this long (Redis `PEXPIRE`), ms. Default 300,000. */
  dedupAge?: number;
  /**
   * How often this process writes its subscriber counts for `hub.topics()` (when they changed),
   * ms; they expire after 3 × this when the process is gone. Default 5,000.
   */
  countsInterval?: number;
}

type Entry = [string, string[]];

interface State {
  epoch: string;
  seq: number;
  entries: Entry[];
}

/** Topics' histories as read at one point: `lost` seq and entries per topic. */
interface TopicsState {
  epoch: string;
  seq: number;
  topics: { topic: string; lost: number; entries: Entry[] }[];
}

type Scripts = {
  rtAppend(...args: (string | number)[]): Promise<[string, number]>;
  rtAppendMany(...args: (string | number)[]): Promise<[string, ...number[]]>;
  rtLog(...args: (string | number)[]): Promise<[string, number, Entry[]]>;
  rtTopics(...args: (string | number)[]): Promise<(string | number | Entry[])[]>;
  rtRotate(...args: string[]): Promise<number>;
};

/** Redis's own default bounds per topic: 10,000 events (the single stream of earlier versions kept at least that). */
const redisBounds: ResolvedBounds = { limit: 10_000, bytes: Infinity, ttl: Infinity };

/** Entries read per round trip when catching up or replaying. */
const page = 1000;

/**
 * The hub's store across processes: ids from one Redis counter, history in one Redis Stream per
 * topic (each bounded by that topic's own `limit` and `ttl`, merged in id order on replay), live
 * fan-out through Pub/Sub. Every process delivers events in seq order, filling any gap (a missed
 * Pub/Sub message, a reconnect) from a log stream. A lost data set is a new epoch, announced
 * (`onEpoch`) before its first event. Every key shares one hash tag (Redis Cluster: one slot).
 */
export class RedisStore implements HubStore {
  private readonly client: Redis | Cluster;
  private readonly subscriber: Redis | Cluster;
  private readonly tag: string;
  /** KEYS common to every script: log, seq, epoch, lost, topics. */
  private readonly common: string[];
  private readonly keys: { channel: string; control: string; dedup: string; topic: string };
  private readonly policy: HistoryPolicy;
  private readonly logLimit: number;
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
  private readonly gapListeners = new Set<(events: number) => void>();
  private up?: boolean;
  private readonly catchUpTimer?: ReturnType<typeof setInterval>;
  private counts?: RedisSubscriberCounts;
  private readonly countsInterval: number;
  private everReady = false;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    const prefix = options.prefix ?? 'rt';
    const tag = (this.tag = /\{[^}]+\}/.test(prefix) ? prefix : `{${prefix}}`);
    this.common = ['log', 'seq', 'epoch', 'lost', 'topics'].map((key) => `${tag}:${key}`);
    this.keys = {
      channel: `${tag}:live`,
      control: `${tag}:control`,
      dedup: `${tag}:dedup:`,
      topic: `${tag}:h:`,
    };
    this.policy = new HistoryPolicy(options.history, options, redisBounds);
    this.logLimit = options.logLimit ?? 10_000;
    this.dedupWindow = options.dedupWindow ?? 1000;
    this.dedupAge = options.dedupAge ?? 300_000;
    this.countsInterval = options.countsInterval ?? 5000;
    // Commands fail at once while Redis is away (no unbounded offline queue), and after 2 s
    // when it does not answer (paused, overloaded): requests get 503 instead of hanging.
    const common: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...options.redisOptions,
    };
    const seeds = redisSeeds(options.url, options.cluster);
    const connect = (extra: RedisOptions): Redis | Cluster =>
      options.cluster
        ? new Cluster(seeds, {
            enableOfflineQueue: extra.enableOfflineQueue,
            redisOptions: { ...common, ...extra },
          })
        : new Redis(seeds[0], { ...common, ...extra });
    this.client = connect({ commandTimeout: 2000, ...common });
    // The store subscribes again on each 'ready' itself (with a handler): ioredis's own
    // resubscribe is fire-and-forget, an unhandled rejection when the connection drops again or
    // SUBSCRIBE is refused (redis/ioredis#2187) — a crash on Node ≥ 15.
    this.subscriber = connect({ enableOfflineQueue: true, autoResubscribe: false });
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
    // A refused SUBSCRIBE (an ACL change) is tried again each second: live events would
    // otherwise stop in silence; the catch-up after it delivers what was missed meanwhile.
    const subscribe = () => {
      this.subscriber.subscribe(this.keys.channel, this.keys.control).then(
        () => void this.catchUp(),
        () => {
          if (!this.closed && this.subscriber.status === 'ready')
            setTimeout(subscribe, 1000).unref();
        },
      );
    };
    this.subscriber.on('ready', subscribe);
    this.client.defineCommand('rtAppend', { numberOfKeys: 8, lua: appendScript });
    this.client.defineCommand('rtLog', { numberOfKeys: 5, lua: logScript });
    this.client.defineCommand('rtRotate', { numberOfKeys: 5, lua: rotateScript });
    // Its number of keys varies (one stream per topic): given with each call.
    this.client.defineCommand('rtTopics', { lua: topicsScript });
    const every = options.catchUpInterval ?? (options.cluster ? 1000 : 0);
    if (every > 0) {
      this.catchUpTimer = setInterval(() => {
        // Only once started (the first read sets where live delivery begins), one at a time.
        if (this.epoch === undefined || this.client.status !== 'ready' || this.catching) return;
        this.catching = true;
        const done = () => (this.catching = false);
        this.catchUp().then(done, done);
      }, every);
      this.catchUpTimer.unref();
    }
    this.client.defineCommand('rtAppendMany', { lua: appendManyScript });
  }

  private catching = false;

  async append(
    topic: string,
    data: unknown,
    json: string,
    origin = '',
    dedup?: Dedup,
  ): Promise<HubEvent> {
    await this.ready();
    const { limit, ttl } = this.policy.of(topic);
    const [epoch, result] = await this.scripts.rtAppend(
      ...this.common,
      this.keys.channel,
      this.keys.dedup + (dedup?.publisher ?? ''),
      this.keys.topic + topic,
      this.tag,
      newEpoch(),
      topic,
      json,
      origin,
      this.logLimit,
      this.epoch ?? '',
      this.delivered,
      dedup?.msg ?? '',
      this.dedupWindow,
      this.dedupAge,
      limit === Infinity ? -1 : limit,
      ttl === Infinity ? 0 : ttl,
    );
    if (epoch !== this.epoch) this.catchUp();
    const seq = Math.abs(Number(result));
    const event: HubEvent = { id: `${epoch}-${seq}`, seq, topic, data, json };
    if (origin) event.origin = origin;
    if (Number(result) < 0) event.duplicate = true;
    return event;
  }

  /** One value to several topics in one script: each topic gets its event, or none does. */
  async appendMany(
    items: readonly { topic: string; dedup?: Dedup }[],
    data: unknown,
    json: string,
    origin = '',
  ): Promise<HubEvent[]> {
    await this.ready();
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const { topic, dedup } of items) {
      const { limit, ttl } = this.policy.of(topic);
      keys.push(this.keys.dedup + (dedup?.publisher ?? ''), this.keys.topic + topic);
      args.push(
        topic,
        dedup?.msg ?? '',
        limit === Infinity ? -1 : limit,
        ttl === Infinity ? 0 : ttl,
      );
    }
    const [epoch, ...results] = await this.scripts.rtAppendMany(
      this.common.length + 1 + keys.length,
      ...this.common,
      this.keys.channel,
      ...keys,
      this.tag,
      newEpoch(),
      json,
      origin,
      this.logLimit,
      this.epoch ?? '',
      this.delivered,
      this.dedupWindow,
      this.dedupAge,
      ...args,
    );
    if (epoch !== this.epoch) this.catchUp();
    return items.map(({ topic }, i) => {
      const seq = Math.abs(Number(results[i]));
      const event: HubEvent = { id: `${epoch}-${seq}`, seq, topic, data, json };
      if (origin) event.origin = origin;
      if (Number(results[i]) < 0) event.duplicate = true;
      return event;
    });
  }

  async replay(
    cursor: string,
    topics: ReadonlySet<string>,
    max = Infinity,
    first?: number,
  ): Promise<Replay> {
    await this.started();
    const parsed = parseCursor(cursor);
    if (!parsed) {
      const { epoch, seq } = await this.readLog(0, 0);
      return { reset: 'invalid', latest: `${epoch}-${seq}` };
    }
    const head = await this.readTopics('after', parsed.seq, page, topics);
    const latest = `${head.epoch}-${head.seq}`;
    if (parsed.epoch !== head.epoch) {
      // A cursor of a lost data set: the new one's history is all new to the client, when kept.
      if (head.topics.some((t) => t.lost > 0)) return { reset: 'epoch', latest };
      const start = parsed.seq === 0 ? head : await this.readTopics('after', 0, page, topics);
      const all = await this.collect(start, 0, max, first);
      if (all === 'too-many') return { reset: 'too-many', latest };
      if (!all) return { reset: 'epoch', latest: await this.latestId() };
      return { reset: 'epoch', latest: `${head.epoch}-0`, events: all };
    }
    if (parsed.seq > head.seq) return { reset: 'invalid', latest };
    const events = await this.collect(head, parsed.seq, max, first);
    if (events === 'too-many') return { reset: 'too-many', latest };
    // Lost while reading: the events cannot be known.
    if (!events) return { reset: 'epoch', latest: await this.latestId() };
    const lost = head.topics.filter((t) => t.lost > parsed.seq).map((t) => t.topic);
    if (lost.length) {
      // What is still kept, in one order, after the cursor: only the named topics have a gap.
      const from = events.length ? `${head.epoch}-${parsed.seq}` : latest;
      return { reset: 'too-old', latest: from, events, topics: lost };
    }
    return { events, latest };
  }

  async recent(topics: ReadonlySet<string>, limit: number): Promise<Recent> {
    await this.started();
    const state = await this.readTopics('recent', 0, Math.max(0, limit), topics);
    // A topic's stream entries leave the topic out (the key names it): given here, as in collect.
    const lists = state.topics.map(({ topic, entries }) =>
      entries
        .map(([id, fields]) => this.toEvent(state.epoch, seqOfStreamId(id), fields, topic))
        .reverse(),
    );
    const events = mergeBySeq(lists.filter((list) => list.length));
    return {
      events: events.length > limit ? events.slice(events.length - limit) : events,
      latest: `${state.epoch}-${state.seq}`,
    };
  }

  /**
   * The events of `topics` after `after` up to `first.seq`, paging each topic's stream from
   * `first` (a read after `after`); undefined when the epoch changed meanwhile, `too-many` past
   * `max` — or, with `take`, only the first `take` of them (never `too-many`).
   */
  private async collect(
    first: TopicsState,
    after: number,
    max: number,
    take?: number,
  ): Promise<HubEvent[] | undefined | 'too-many'> {
    const end = first.seq;
    const lists: HubEvent[][] = [];
    let count = 0;
    for (const { topic, entries } of first.topics) {
      const list: HubEvent[] = [];
      let batch = entries;
      for (;;) {
        for (const [id, fields] of batch) {
          const seq = seqOfStreamId(id);
          if (seq > after && seq <= end) list.push(this.toEvent(first.epoch, seq, fields, topic));
        }
        if (take === undefined && count + list.length > max) return 'too-many';
        const last = batch.at(-1);
        if (take !== undefined && list.length >= take) break;
        if (batch.length < page || !last || seqOfStreamId(last[0]) >= end) break;
        const next = await this.readTopics('after', seqOfStreamId(last[0]), page, new Set([topic]));
        if (next.epoch !== first.epoch) return undefined;
        batch = next.topics[0]!.entries;
      }
      count += list.length;
      if (list.length) lists.push(take === undefined ? list : list.slice(0, take));
    }
    const events = mergeBySeq(lists);
    return take !== undefined && events.length > take ? events.slice(0, take) : events;
  }

  async latestId(): Promise<string> {
    await this.started();
    const { epoch, seq } = await this.readLog(0, 0);
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

  /** Shares this process's subscriber counts with the others (see `RedisSubscriberCounts`). */
  shareCounts(read: () => ReadonlyMap<string, number>): () => void {
    const counts = (this.counts = new RedisSubscriberCounts(
      this.client,
      this.tag,
      read,
      this.countsInterval,
    ));
    return () => void counts.stop();
  }

  /** Subscribers per topic (of `topics`, or all) across every live process. */
  async subscriberCounts(topics?: readonly string[]): Promise<Map<string, number>> {
    await this.ready();
    if (!this.counts) throw new Error('shareCounts was not called.');
    return this.counts.total(topics);
  }

  /** Hears each gap filled from the log: the number of events read there instead of Pub/Sub. */
  onGapFill(listener: (events: number) => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
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
    // Its counts expire anyway: a Redis that does not answer does not hold the close up.
    const stopped = this.counts?.stop();
    if (stopped) await Promise.race([stopped, new Promise((r) => setTimeout(r, 500).unref())]);
    this.closed = true;
    clearInterval(this.catchUpTimer);
    this.broadcastListeners.clear();
    this.listeners.clear();
    this.epochListeners.clear();
    this.statusListeners.clear();
    this.gapListeners.clear();
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

  private async readLog(after: number, count: number): Promise<State> {
    await this.ready();
    const [epoch, seq, entries] = await this.scripts.rtLog(
      ...this.common,
      this.tag,
      newEpoch(),
      after,
      count,
    );
    this.noticeEpoch(epoch);
    return { epoch, seq: Number(seq), entries };
  }

  /** Per topic: its lost seq and its entries after `after` (`mode` `after`) or its newest `count`. */
  private async readTopics(
    mode: 'after' | 'recent',
    after: number,
    count: number,
    topics: ReadonlySet<string>,
  ): Promise<TopicsState> {
    await this.ready();
    const names = [...topics];
    const args: (string | number)[] = [];
    for (const topic of names) {
      const { limit, ttl } = this.policy.of(topic);
      args.push(topic, limit === Infinity ? -1 : limit, ttl === Infinity ? 0 : ttl);
    }
    const reply = await this.scripts.rtTopics(
      this.common.length + names.length,
      ...this.common,
      ...names.map((topic) => this.keys.topic + topic),
      this.tag,
      newEpoch(),
      mode,
      after,
      count,
      ...args,
    );
    const epoch = String(reply[0]);
    this.noticeEpoch(epoch);
    return {
      epoch,
      seq: Number(reply[1]),
      topics: names.map((topic, i) => ({
        topic,
        lost: Number(reply[2 + i * 2]),
        entries: reply[3 + i * 2] as Entry[],
      })),
    };
  }

  /** Any read may be the first to see a new epoch: the live fan-out follows at once. */
  private noticeEpoch(epoch: string): void {
    if (this.epoch !== undefined && epoch !== this.epoch) this.catchUp();
  }

  /** An entry of the log (`t` names its topic) or of `topic`'s stream. */
  private toEvent(epoch: string, seq: number, fields: string[], topic = ''): HubEvent {
    const map = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
    const json = map.get('d') ?? 'null';
    return {
      id: `${epoch}-${seq}`,
      seq,
      topic: map.get('t') ?? topic,
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
    const before = this.delivered;
    const epoch = this.epoch;
    try {
      await this.fillFromLog();
    } finally {
      // Events that came from the log, not from Pub/Sub (within one epoch): a filled gap.
      const filled = this.epoch === epoch && epoch !== undefined ? this.delivered - before : 0;
      if (filled > 0) for (const listener of this.gapListeners) listener(filled);
    }
  }

  private async fillFromLog(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const known = this.epoch;
      const state = await this.readLog(this.delivered, known === undefined ? 0 : page);
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
        await this.scripts.rtRotate(...this.common, this.tag, newEpoch(), known);
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

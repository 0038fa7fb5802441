import { randomBytes } from 'node:crypto';
import { DedupWindow } from './dedup-window.js';
import { HistoryPolicy, type HistoryOptions } from './history-policy.js';
import { TopicHistory } from './topic-history.js';
import type { Dedup, HubEvent, HubStore, Recent, Replay } from './types.js';

const cursorPattern = /^([a-z0-9]+)-(\d+)$/;

/** Splits `<epoch>-<seq>`; undefined when the text is not a cursor. */
export function parseCursor(cursor: string): { epoch: string; seq: number } | undefined {
  const match = cursorPattern.exec(cursor);
  if (!match) return undefined;
  return { epoch: match[1]!, seq: Number(match[2]) };
}

/** A new epoch: a restarted in-memory hub is told apart from the one that issued old cursors. */
export const newEpoch = (): string =>
  Date.now().toString(36) + randomBytes(4).toString('hex').replace(/^0+/, '');

/** Events of several topics (each in seq order) as one list in seq order. */
export const mergeBySeq = (lists: HubEvent[][]): HubEvent[] =>
  lists.length === 1 ? lists[0]! : lists.flat().sort((a, b) => a.seq - b.seq);

export interface MemoryStoreOptions {
  /** Per-topic bounds (see `HistoryOptions`). */
  history?: HistoryOptions;
  /** Alias of `history.default.limit`. */
  historyLimit?: number;
  /** Alias of `history.default.bytes`. */
  historyBytes?: number;
  /** Bytes of history across every topic. Default 64 MiB. */
  historyTotalBytes?: number;
  dedupWindow?: number;
  dedupAge?: number;
}

/** Topics whose lost seq is remembered one by one; past it, one conservative bound for all. */
const trackedTopics = 10_000;

const sizeOf = (event: HubEvent): number => Buffer.byteLength(event.json) + event.topic.length;

/**
 * The default store: ids, history and fan-out in this process. History is kept per topic, each
 * bounded by its own count, bytes and age (`history`), so a busy topic never evicts a quiet one;
 * what a topic loses is remembered, so a cursor is reset only for the topics that lost events
 * after it — and told which.
 */
export class MemoryStore implements HubStore {
  readonly epoch = newEpoch();
  private seq = 0;
  private readonly topics = new Map<string, TopicHistory>();
  private readonly policy: HistoryPolicy;
  private readonly totalLimit: number;
  private totalBytes = 0;
  /** Every topic lost its events up to this seq (topics forgotten one by one, see `trackedTopics`). */
  private lostAll = 0;
  private sweepAt = trackedTopics;
  private listeners = new Set<(event: HubEvent) => void>();
  private readonly dedup: DedupWindow;

  constructor(
    options: MemoryStoreOptions | number = {},
    /** With a number first: the older `(historyLimit, historyBytes, { dedupWindow, dedupAge })`. */
    historyBytes?: number,
    dedup: { dedupWindow?: number; dedupAge?: number } = {},
  ) {
    const o: MemoryStoreOptions =
      typeof options === 'number' ? { historyLimit: options, historyBytes, ...dedup } : options;
    this.policy = new HistoryPolicy(o.history, o);
    this.totalLimit = o.historyTotalBytes ?? 64 << 20;
    this.dedup = new DedupWindow(o.dedupWindow ?? 1000, o.dedupAge ?? 300_000);
  }

  async append(
    topic: string,
    data: unknown,
    json: string,
    origin?: string,
    dedup?: Dedup,
  ): Promise<HubEvent> {
    const event = this.store(topic, data, json, origin, dedup);
    if (!event.duplicate) for (const listener of this.listeners) listener(event);
    return event;
  }

  /** Every topic's event is stored before any fans out: all of them or none. */
  async appendMany(
    items: readonly { topic: string; dedup?: Dedup }[],
    data: unknown,
    json: string,
    origin?: string,
  ): Promise<HubEvent[]> {
    const events = items.map(({ topic, dedup }) => this.store(topic, data, json, origin, dedup));
    for (const event of events) {
      if (!event.duplicate) for (const listener of this.listeners) listener(event);
    }
    return events;
  }

  private store(
    topic: string,
    data: unknown,
    json: string,
    origin?: string,
    dedup?: Dedup,
  ): HubEvent {
    if (dedup) {
      const stored = this.dedup.get(dedup.publisher, dedup.msg);
      if (stored !== undefined) {
        const id = `${this.epoch}-${stored}`;
        return { id, seq: stored, topic, data, json, origin, duplicate: true };
      }
    }
    const seq = ++this.seq;
    const event: HubEvent = { id: `${this.epoch}-${seq}`, seq, topic, data, json, origin };
    if (dedup) this.dedup.set(dedup.publisher, dedup.msg, seq);
    this.keep(event);
    return event;
  }

  async replay(
    cursor: string,
    topics: ReadonlySet<string>,
    max = Infinity,
    first?: number,
  ): Promise<Replay> {
    const latest = `${this.epoch}-${this.seq}`;
    const parsed = parseCursor(cursor);
    if (!parsed) return { reset: 'invalid', latest };
    const lost = this.lostAfter(parsed.epoch === this.epoch ? parsed.seq : 0, topics);
    if (parsed.epoch !== this.epoch) {
      // Another process (a restart): all of this one's history is new to the client, when kept.
      if (lost.length) return { reset: 'epoch', latest };
      const events = this.after(0, topics, max, first);
      if (!events) return { reset: 'too-many', latest };
      return { reset: 'epoch', latest: `${this.epoch}-0`, events };
    }
    if (parsed.seq > this.seq) return { reset: 'invalid', latest };
    const events = this.after(parsed.seq, topics, max, first);
    if (!events) return { reset: 'too-many', latest };
    if (lost.length) {
      // What is still kept, in one order, after the cursor: only the named topics have a gap.
      // With nothing kept after it, the newest id skips nothing more (and a poll does not loop).
      const from = events.length ? `${this.epoch}-${parsed.seq}` : latest;
      return { reset: 'too-old', latest: from, events, topics: lost };
    }
    return { events, latest };
  }

  async recent(topics: ReadonlySet<string>, limit: number): Promise<Recent> {
    const lists: HubEvent[][] = [];
    for (const topic of topics) {
      const history = this.history(topic);
      if (!history?.size || limit <= 0) continue;
      const from = Math.max(history.head, history.events.length - limit);
      lists.push(history.events.slice(from));
    }
    const events = mergeBySeq(lists);
    return {
      events: events.length > limit ? events.slice(events.length - limit) : events,
      latest: `${this.epoch}-${this.seq}`,
    };
  }

  async latestId(): Promise<string> {
    return `${this.epoch}-${this.seq}`;
  }

  onEvent(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** The topics of `topics` that lost an event with seq > `after` (expired ones included). */
  private lostAfter(after: number, topics: ReadonlySet<string>): string[] {
    const lost: string[] = [];
    for (const topic of topics) {
      const lostSeq = Math.max(this.lostAll, this.history(topic)?.lostSeq ?? 0);
      if (lostSeq > after) lost.push(topic);
    }
    return lost;
  }

  /**
   * Kept events of `topics` with seq > `after`, in order; undefined when more than `max`. With
   * `first`, only the first `first` of them (and never undefined).
   */
  private after(
    after: number,
    topics: ReadonlySet<string>,
    max: number,
    first?: number,
  ): HubEvent[] | undefined {
    const lists: HubEvent[][] = [];
    let count = 0;
    for (const topic of topics) {
      const history = this.history(topic);
      if (!history) continue;
      const from = history.firstAfter(after);
      const to =
        first === undefined ? history.events.length : Math.min(history.events.length, from + first);
      count += history.events.length - from;
      if (first === undefined && count > max) return undefined;
      if (from < to) lists.push(history.events.slice(from, to));
    }
    const events = mergeBySeq(lists);
    return first !== undefined && events.length > first ? events.slice(0, first) : events;
  }

  /** A topic's history, with its expired events dropped first. */
  private history(topic: string): TopicHistory | undefined {
    const history = this.topics.get(topic);
    if (history) this.expire(history, this.policy.of(topic).ttl, performance.now());
    return history;
  }

  private keep(event: HubEvent): void {
    let history = this.topics.get(event.topic);
    if (!history) this.topics.set(event.topic, (history = new TopicHistory()));
    const { limit, bytes, ttl } = this.policy.of(event.topic);
    const now = performance.now();
    const size = sizeOf(event);
    history.push(event, size, now);
    this.totalBytes += size;
    while (history.size > limit || (history.bytes > bytes && history.size > 1)) this.evict(history);
    this.expire(history, ttl, now);
    if (this.totalBytes > this.totalLimit) {
      // Over the bound across topics: the publishing topic gives way first, then the oldest topics.
      while (this.totalBytes > this.totalLimit && history.size > 1) this.evict(history);
      for (const other of this.topics.values()) {
        while (this.totalBytes > this.totalLimit && other.size) this.evict(other);
        if (this.totalBytes <= this.totalLimit) break;
      }
    }
    if (this.topics.size > this.sweepAt) this.forgetEmptyTopics();
  }

  private evict(history: TopicHistory): void {
    const event = history.shift(sizeOf);
    if (event) this.totalBytes -= sizeOf(event);
  }

  private expire(history: TopicHistory, ttl: number, now: number): void {
    if (ttl === Infinity) return;
    for (let time = history.firstTime(); time !== undefined && now - time > ttl;) {
      this.evict(history);
      time = history.firstTime();
    }
  }

  /**
   * Too many topics: those with nothing kept are forgotten, and what they lost becomes one bound
   * for every topic (a conservative `too-old`, never a silent gap).
   */
  private forgetEmptyTopics(): void {
    for (const [topic, history] of this.topics) {
      if (history.size) continue;
      this.lostAll = Math.max(this.lostAll, history.lostSeq);
      this.topics.delete(topic);
    }
    this.sweepAt = Math.max(trackedTopics, this.topics.size * 2);
  }
}

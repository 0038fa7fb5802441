import { randomBytes } from 'node:crypto';
import { DedupWindow } from './dedup-window.js';
import type { Dedup, HubEvent, HubStore, Replay } from './types.js';

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

/**
 * The default store: ids, history and fan-out in this process. History is one array in id
 * order, bounded by count and bytes; what falls off is remembered per topic, so a cursor is
 * reset only when an event of one of *its* topics was lost.
 */
export class MemoryStore implements HubStore {
  readonly epoch = newEpoch();
  private seq = 0;
  private history: HubEvent[] = [];
  private head = 0;
  private bytes = 0;
  private evicted = new Map<string, number>();
  private evictedAll = 0;
  private listeners = new Set<(event: HubEvent) => void>();
  private readonly dedup: DedupWindow;

  constructor(
    private readonly limit = 1000,
    private readonly limitBytes = 1 << 20,
    dedup: { dedupWindow?: number; dedupAge?: number } = {},
  ) {
    this.dedup = new DedupWindow(dedup.dedupWindow ?? 1000, dedup.dedupAge ?? 300_000);
  }

  async append(
    topic: string,
    data: unknown,
    json: string,
    origin?: string,
    dedup?: Dedup,
  ): Promise<HubEvent> {
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
    this.history.push(event);
    this.bytes += json.length + topic.length;
    this.trim();
    for (const listener of this.listeners) listener(event);
    return event;
  }

  async replay(cursor: string, topics: ReadonlySet<string>): Promise<Replay> {
    const latest = `${this.epoch}-${this.seq}`;
    const parsed = parseCursor(cursor);
    if (!parsed) return { reset: 'invalid', latest };
    if (parsed.epoch !== this.epoch) {
      // Another process (a restart): all of this one's history is new to the client, when kept.
      const complete = !this.evictedAll && ![...topics].some((topic) => this.evicted.has(topic));
      if (!complete) return { reset: 'epoch', latest };
      return { reset: 'epoch', latest: `${this.epoch}-0`, events: this.after(0, topics) };
    }
    if (parsed.seq > this.seq) return { reset: 'invalid', latest };
    const after = parsed.seq;
    if (after < this.evictedAll) return { reset: 'too-old', latest };
    for (const topic of topics) {
      if ((this.evicted.get(topic) ?? 0) > after) return { reset: 'too-old', latest };
    }
    return { events: this.after(after, topics) };
  }

  /** Retained events of `topics` with seq > `after`, in order. */
  private after(after: number, topics: ReadonlySet<string>): HubEvent[] {
    const events: HubEvent[] = [];
    for (let i = this.firstAfter(after); i < this.history.length; i++) {
      const event = this.history[i]!;
      if (topics.has(event.topic)) events.push(event);
    }
    return events;
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

  /** Index of the first retained event with seq > `after` (binary search: seqs only grow). */
  private firstAfter(after: number): number {
    let low = this.head;
    let high = this.history.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.history[mid]!.seq > after) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  private trim(): void {
    while (
      this.history.length - this.head > this.limit ||
      (this.bytes > this.limitBytes && this.history.length - this.head > 1)
    ) {
      const old = this.history[this.head++]!;
      this.bytes -= old.json.length + old.topic.length;
      this.evicted.set(old.topic, old.seq);
      if (this.evicted.size > 10_000) {
        // Too many topics to track one by one: fall back to one conservative bound.
        this.evicted.clear();
        this.evictedAll = old.seq;
      }
    }
    if (this.head > 1024 && this.head * 2 > this.history.length) {
      this.history = this.history.slice(this.head);
      this.head = 0;
    }
  }
}

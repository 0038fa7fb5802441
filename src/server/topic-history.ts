import type { HubEvent } from './types.js';

/**
 * One topic's kept events in the memory store, in seq order, plus the seq of the newest event
 * it has lost (evicted by a bound), so a cursor is told exactly which topic lost events.
 */
export class TopicHistory {
  events: HubEvent[] = [];
  /** Monotonic time (ms) each event was kept at, parallel to `events`. */
  times: number[] = [];
  head = 0;
  bytes = 0;
  /** The seq of the newest event this topic lost (0: none). */
  lostSeq = 0;

  get size(): number {
    return this.events.length - this.head;
  }

  get first(): HubEvent | undefined {
    return this.events[this.head];
  }

  push(event: HubEvent, size: number, now: number): void {
    this.events.push(event);
    this.times.push(now);
    this.bytes += size;
  }

  /** Drops the oldest event; returns it. */
  shift(sizeOf: (event: HubEvent) => number): HubEvent | undefined {
    const event = this.events[this.head];
    if (!event) return undefined;
    this.head++;
    this.bytes -= sizeOf(event);
    this.lostSeq = event.seq;
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return event;
  }

  /** Kept time of the oldest event. */
  firstTime(): number | undefined {
    return this.times[this.head];
  }

  /** Index of the first kept event with seq > `after` (binary search: seqs only grow). */
  firstAfter(after: number): number {
    let low = this.head;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.events[mid]!.seq > after) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}

/**
 * The de-duplication window of the in-memory store: per publisher, the event seq of each of its
 * last `count` message ids, forgotten once the publisher has been silent for `age` ms. Time
 * comes from a monotonic clock (`performance.now()`), so a wall-clock step never empties or
 * freezes the window. The Redis store keeps the same window inside its append script.
 */
export class DedupWindow {
  /** Publishers in order of their last send (re-inserted on each), so expiry sweeps the front. */
  private readonly publishers = new Map<
    string,
    { ids: Map<string | number, number>; last: number }
  >();

  constructor(
    readonly count: number,
    readonly age: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The seq stored for `msg` of `publisher`, if it is still in the window. */
  get(publisher: string, msg: string): number | undefined {
    const entry = this.publishers.get(publisher);
    if (!entry || this.now() - entry.last > this.age) return undefined;
    return entry.ids.get(keyOf(msg));
  }

  /** Records that `msg` of `publisher` was stored as `seq`. */
  set(publisher: string, msg: string, seq: number): void {
    const now = this.now();
    this.sweep(now);
    let entry = this.publishers.get(publisher);
    if (entry) this.publishers.delete(publisher);
    else entry = { ids: new Map(), last: now };
    entry.last = now;
    this.publishers.set(publisher, entry);
    entry.ids.set(keyOf(msg), seq);
    if (entry.ids.size > this.count) entry.ids.delete(entry.ids.keys().next().value!);
  }

  /** Ids held, over all publishers (for tests and benchmarks). */
  get size(): number {
    let size = 0;
    for (const { ids } of this.publishers.values()) size += ids.size;
    return size;
  }

  private sweep(now: number): void {
    for (const [publisher, entry] of this.publishers) {
      if (now - entry.last <= this.age) break;
      this.publishers.delete(publisher);
    }
  }
}

/**
 * A message id as a Map key: `<socket-relay>`'s ids are sequence numbers, and a number key
 * takes about a third less memory than its text. Only the canonical form converts (`"7"`, not
 * `"07"`), so two different ids never share a key.
 */
function keyOf(msg: string): string | number {
  const number = Number(msg);
  return Number.isSafeInteger(number) && String(number) === msg ? number : msg;
}

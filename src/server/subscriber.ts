import type { HubEvent, HubStore, ResetReason } from './types.js';

/**
 * Why a cursor could not be resumed, and the id the subscriber goes on from. `topics`, when
 * set, names the topics that missed events (a `too-old` reset of some topics of several: the
 * others miss nothing, and every event still kept follows).
 */
export interface SubscriberReset {
  reason: ResetReason;
  latest: string;
  topics?: string[];
}

/** How a subscription starts: without a cursor, the last `rewind` events first; at most `max` replayed. */
export interface StartOptions {
  rewind?: number;
  max?: number;
}

/**
 * One subscription (an SSE stream, one WebSocket `subscribe`, one long-poll request) to a set of
 * topics. It is attached to the live fan-out *before* its replay is fetched and buffers live
 * events meanwhile, then delivers replay and buffer in id order with no gap and no duplicate.
 */
export class Subscriber {
  readonly topics: Set<string>;
  /** The newest seq delivered: anything at or below it is a duplicate. */
  lastSeq = 0;
  /**
   * Told of every reset — of the starting cursor, and of a store that lost its data set later
   * (a new epoch) — *before* the events that follow it, so a client's cursor never moves back.
   */
  onReset?: (reset: SubscriberReset) => void;
  private buffer: HubEvent[] | undefined = [];
  /** The epoch of `lastSeq`; unknown until started. */
  private epoch?: string;
  /** A new epoch announced while the start was still fetching. */
  private pendingEpoch?: string;

  constructor(
    topics: Iterable<string>,
    private readonly write: (event: HubEvent) => void,
    /**
     * The publisher whose own events this subscriber skips, live and in replay (no self-echo).
     * Mutable: a WebSocket client that presents its earlier publisher id takes it back.
     */
    public skipOrigin?: string,
  ) {
    this.topics = new Set(topics);
  }

  push(event: HubEvent): void {
    if (this.buffer) this.buffer.push(event);
    else this.deliver(event);
  }

  /**
   * The store began a new epoch; `latest` is the id the events that follow come after. A
   * subscriber already in that epoch ignores it; one still starting applies it at the end of
   * its start (what it fetched may be of the old data set).
   */
  newEpoch(latest: string): void {
    if (this.buffer) {
      // Buffered events are of the old data set: the new epoch's follow the announcement.
      this.buffer = [];
      this.pendingEpoch = latest;
      return;
    }
    if (epochOf(latest) === this.epoch) return;
    this.epoch = epochOf(latest);
    this.lastSeq = seqOf(latest);
    this.onReset?.({ reason: 'epoch', latest });
  }

  /**
   * Starts delivery after `cursor` (every missed event, in order), or from now when there is no
   * cursor. Resolves to the reset when the cursor cannot be resumed (the subscriber then goes on
   * live from the newest event); `onReset`, when set, hears of it before any later event.
   */
  async start(
    store: HubStore,
    cursor: string | undefined,
    /** Called with the starting cursor when there was none, before any event is delivered. */
    onFresh?: (latest: string) => void,
    { rewind = 0, max = Infinity }: StartOptions = {},
  ): Promise<SubscriberReset | undefined> {
    let reset: SubscriberReset | undefined;
    let replayed: HubEvent[] = [];
    let fresh: string | undefined;
    if (cursor) {
      const replay = await store.replay(cursor, this.topics, max);
      if ('reset' in replay) {
        reset = { reason: replay.reset, latest: replay.latest };
        if (replay.topics) reset.topics = replay.topics;
        this.epoch = epochOf(replay.latest);
        this.lastSeq = seqOf(replay.latest);
        replayed = replay.events ?? [];
      } else {
        this.epoch = epochOf(cursor);
        this.lastSeq = seqOf(cursor);
        replayed = replay.events;
      }
    } else if (rewind > 0) {
      // The last `rewind` events, then live. The starting cursor is just before the first of
      // them: a drop before they all arrive resumes to the same events, never rewinds again.
      const recent = await store.recent(this.topics, Math.min(rewind, max));
      replayed = recent.events;
      const first = replayed[0]?.seq;
      fresh = first ? `${epochOf(recent.latest)}-${first - 1}` : recent.latest;
      this.epoch = epochOf(fresh);
      this.lastSeq = seqOf(fresh);
    } else {
      fresh = await store.latestId();
      this.epoch = epochOf(fresh);
      this.lastSeq = seqOf(fresh);
    }
    if (this.pendingEpoch && epochOf(this.pendingEpoch) !== this.epoch) {
      // The data set was lost while fetching: what was fetched belongs to the old one.
      reset = { reason: 'epoch', latest: this.pendingEpoch };
      this.epoch = epochOf(this.pendingEpoch);
      this.lastSeq = seqOf(this.pendingEpoch);
      replayed = [];
      fresh = undefined;
    }
    this.pendingEpoch = undefined;
    if (fresh !== undefined) onFresh?.(fresh);
    if (reset) this.onReset?.(reset);
    for (const event of replayed) this.deliver(event);
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    for (const event of buffered) this.push(event);
    return reset;
  }

  private deliver(event: HubEvent): void {
    if (event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    if (event.origin !== undefined && event.origin === this.skipOrigin) return;
    // A topic dropped meanwhile (`hub.unsubscribe`): what was buffered or replayed of it stays out.
    if (!this.topics.has(event.topic)) return;
    this.write(event);
  }
}

export const seqOf = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1)) || 0;
const epochOf = (id: string): string => id.slice(0, Math.max(0, id.lastIndexOf('-')));

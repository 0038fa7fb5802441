import type { HubEvent, HubStore } from './types.js';

/**
 * One subscription (an SSE stream, one WebSocket `subscribe`, one long-poll request) to a set of
 * topics. It is attached to the live fan-out *before* its replay is fetched and buffers live
 * events meanwhile, then delivers replay and buffer in id order with no gap and no duplicate.
 */
export class Subscriber {
  readonly topics: Set<string>;
  /** The newest seq delivered: anything at or below it is a duplicate. */
  lastSeq = 0;
  private buffer: HubEvent[] | undefined = [];

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
   * Starts delivery after `cursor` (every missed event, in order), or from now when there is no
   * cursor. Resolves to the reset when the cursor cannot be resumed (the subscriber then goes on
   * live from the newest event).
   */
  async start(
    store: HubStore,
    cursor: string | undefined,
    /** Called with the starting cursor when there was none, before any event is delivered. */
    onFresh?: (latest: string) => void,
  ): Promise<{ reason: 'epoch' | 'too-old' | 'invalid'; latest: string } | undefined> {
    let reset: { reason: 'epoch' | 'too-old' | 'invalid'; latest: string } | undefined;
    if (cursor) {
      const replay = await store.replay(cursor, this.topics);
      if ('reset' in replay) {
        reset = { reason: replay.reset, latest: replay.latest };
        this.lastSeq = seqOf(replay.latest);
      } else {
        this.lastSeq = seqOf(cursor);
        for (const event of replay.events) this.deliver(event);
      }
    } else {
      const latest = await store.latestId();
      this.lastSeq = seqOf(latest);
      onFresh?.(latest);
    }
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    for (const event of buffered) this.push(event);
    return reset;
  }

  private deliver(event: HubEvent): void {
    if (event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    if (event.origin !== undefined && event.origin === this.skipOrigin) return;
    this.write(event);
  }
}

export const seqOf = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1)) || 0;

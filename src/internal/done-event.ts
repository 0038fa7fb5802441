/**
 * `<sse-feed once>`'s `done`: the one-shot stream ended as the server meant it to. Created only
 * by the lazily loaded fetch code.
 */
export class DoneEvent extends Event {
  constructor(
    /** What ended it: `end` (the body ended), `event` (a `done-event`) or `data` (`done-data`). */
    readonly reason: 'end' | 'event' | 'data',
    /** The ending event's `data` (`''` for `end`). */
    readonly data: string,
    /** The cursor at the end. */
    readonly lastEventId: string,
  ) {
    super('done');
  }
}

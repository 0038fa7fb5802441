import { RealtimeMessageEvent, ResetEvent, type RealtimeErrorInit } from './events.js';

/** What an event of the stream touches of `<sse-feed>`. */
export interface ReceivingFeed {
  cursor: string;
  readonly superseded: boolean;
  /** The `events` filter (empty: every type). */
  readonly wanted: string[];
  readonly type: string;
  fail(code: string, message: string, init?: RealtimeErrorInit): void;
  emit(event: Event): boolean;
}

/**
 * One event of `<sse-feed>`'s stream, in either mode (each mode's chunk imports this, so it
 * loads with the connection code, before any event can arrive): the cursor moves, the hub's
 * control events (`cursor`, `reset`) are taken, then the `events` filter and `type="json"`
 * parsing (`parse-error`) apply before `message` is delivered.
 */
export function receive(
  feed: ReceivingFeed,
  type: string,
  data: string,
  lastEventId: string,
  origin: string,
): void {
  // A listener of an earlier event closed or re-opened the feed: not delivered, not passed.
  if (feed.superseded) return;
  feed.cursor = lastEventId;
  // The hub's control events: `cursor` starts a fresh stream's cursor, `reset` is announced.
  if (type === 'cursor') return;
  if (type === 'reset') {
    let body: { reason?: string; topics?: string[] } = {};
    try {
      body = JSON.parse(data);
    } catch {
      // A reset without a JSON body still is one.
    }
    feed.emit(new ResetEvent(body.reason ?? 'unknown', lastEventId, body.topics));
    return;
  }
  if (feed.wanted.length && !feed.wanted.includes(type)) return;
  let value: unknown = data;
  if (feed.type === 'json') {
    try {
      value = JSON.parse(data);
    } catch (error) {
      feed.fail('parse-error', `Event data is not JSON: ${(error as Error).message}`, {
        raw: data,
      });
      return;
    }
  }
  feed.emit(new RealtimeMessageEvent({ data: value, lastEventId, origin, eventType: type }));
}

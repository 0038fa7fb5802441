/**
 * `<sse-feed>`'s fetch mode as the element drives it, loaded on first use:
 * one attempt's request from the feed's properties, and the feed's side of the stream.
 */
import { receive, type ReceivingFeed } from './sse-receive.js';
import { fetchEventStream } from './fetch-event-stream.js';
import { renew } from './renewal.js';
import type { RealtimeErrorInit } from './events.js';
import type { DoneEvent } from './done-event.js';
import type { NativeState } from './native-event-source.js';
import type { ReconnectController } from './reconnect-controller.js';

/** The parts of `<sse-feed>` fetch mode reads and drives. */
export interface FetchFeed extends ReceivingFeed {
  readonly url: URL;
  cursor: string;
  readonly method: string;
  readonly headers: unknown;
  readonly body: unknown;
  readonly withCredentials: boolean;
  readonly native: NativeState;
  readonly once: boolean;
  readonly doneEvent: string;
  readonly doneData: string;
  readonly superseded: boolean;
  readonly reconnector: ReconnectController;
  streamOrigin?: string;
  abort?: () => void;
  opened(): void;
  armHeartbeat(attempt: number): void;
  fail(code: string, message: string, init?: RealtimeErrorInit): void;
  lost(code?: string, message?: string, init?: RealtimeErrorInit): boolean;
  retry(retryAfter?: number, answered?: boolean): void;
  stop(state: 'closed' | 'error'): void;
  emit(event: Event): boolean;
}

/** Runs attempt `attempt` of `feed` (while `current()`) over fetch. */
export function connectFetch(feed: FetchFeed, attempt: number, current: () => boolean): void {
  const controller = new AbortController();
  feed.abort = () => controller.abort();
  const request = {
    url: feed.url,
    cursor: feed.cursor,
    method: feed.method,
    headers: feed.headers as never,
    body: feed.body,
    withCredentials: feed.withCredentials,
    signal: controller.signal,
    native: feed.native,
    done: feed.once ? ([feed.doneEvent, feed.doneData] as [string, string]) : undefined,
  };
  void fetchEventStream(request, {
    current,
    opened: (origin) => {
      feed.streamOrigin = origin;
      feed.opened();
      feed.armHeartbeat(attempt);
    },
    alive: () => feed.armHeartbeat(attempt),
    receive: (...event) => receive(feed, ...event),
    // Not past an event a listener kept from being delivered (it closed the feed).
    cursor: (id) => feed.superseded || (feed.cursor = id),
    floor: (ms) => (feed.reconnector.serverFloor = ms),
    // A page being navigated away (Firefox and WebKit cut the request, a `headers` function's
    // own fetch too): the feed pauses quietly instead. Other failures are the server's.
    fail: (...args) => (args[0] === 'network' ? feed.lost(...args) : feed.fail(...args)),
    retry: (...args) => current() && feed.lost() && feed.retry(...args),
    stop: feed.stop.bind(feed),
    renew: (expiring) => renew(feed as never, expiring),
    done: (event: DoneEvent) => {
      feed.stop('closed');
      feed.emit(event);
    },
  });
}

import { receive, type ReceivingFeed } from './sse-receive.js';
import { refusedOrigin } from './hub-refusal.js';
import { ReplayFilter } from './replay-filter.js';
import { RealtimeCloseEvent, type RealtimeErrorInit } from './events.js';
import type { ReconnectController } from './reconnect-controller.js';

/** What `<sse-feed>` keeps across the `EventSource`s it makes for one stream. */
export interface NativeState {
  replays?: ReplayFilter;
  /** When an `EventSource` last opened or failed (ms, `performance.now()`). */
  at?: number;
  /** Its own reconnects in a row that came sooner than `retry-min` after that. */
  hurried?: number;
}

/** The parts of `<sse-feed>` native mode drives. */
export interface NativeFeed extends ReceivingFeed {
  readonly url: URL;
  readonly withCredentials: boolean;
  readonly cursor: string;
  /** The `events` filter (empty: every type the stream is known to send). */
  readonly wanted: string[];
  readonly native: NativeState;
  readonly state: string;
  readonly superseded: boolean;
  readonly retryMin: number;
  readonly maxRetries: number;
  readonly reconnector: ReconnectController;
  opened(): void;
  fail(code: string, message: string, init?: RealtimeErrorInit): void;
  lost(): boolean;
  setState(state: string): void;
  emit(event: Event): boolean;
  retry(): void;
  stop(state: 'closed' | 'error'): void;
  disconnect(): void;
  settleRetry(delay: number): void;
  readonly attempt: number;
  readonly connectTimeout: number;
  armHeartbeat(attempt: number, ms: number, code?: string): void;
}

/**
 * Native mode for `feed`'s current attempt (`current()`): the types to listen for (`events`,
 * else `message` and the hub's topics named in the URL), one `EventSource`, and what its
 * errors mean. Returns the function that closes it.
 */
export function connectNative(feed: NativeFeed, current: () => boolean): () => void {
  const { url, native } = feed;
  // EventSource hears only the types it is told: with none listed, `message` and the hub's
  // topics named in the URL (`?topic=a&topic=b` or `?topic=a%20b`: the type is the topic).
  const topics = url.searchParams.getAll('topic').flatMap((value) => value.split(/[\s,]+/));
  const named = feed.wanted.length ? feed.wanted : ['message', ...topics.filter(Boolean)];
  native.at = performance.now();
  const host: NativeHost = {
    current,
    opened: () => {
      native.at = performance.now();
      // Open: the connect timeout is over (native mode has no heartbeat timer).
      feed.armHeartbeat(feed.attempt, 0);
      feed.opened();
    },
    receive: (...event) => receive(feed, ...event),
    // A page being navigated away (Firefox and WebKit cut its streams and refuse new loads
    // then): paused quietly instead. A hub that refuses this page's origin says so at any time.
    error: (closed, refused) =>
      refused ? refuse(feed) : feed.lost() && nativeError(feed, closed, current),
  };
  return openEventSource(
    host,
    native,
    url,
    feed.withCredentials,
    new Set([...named, 'reset', 'cursor', '$presence']),
    feed.cursor,
  );
}

function nativeError(feed: NativeFeed, closed: boolean, current: () => boolean): void {
  if (closed) {
    // EventSource gave up (it shows no status): our backoff, then a new one.
    if (feed.state !== 'open') feed.fail('network', 'EventSource gave up.');
    return feed.retry();
  }
  // EventSource reconnects by itself, after the server's `retry:`, which may be 0: a server
  // that ends every stream at once (or keeps refusing) would be hit in a hot loop. The second
  // of its reconnects in a row to come sooner than retry-min takes our backoff instead (a new
  // EventSource: the cursor in the query and ReplayFilter keep the resume point).
  const { native } = feed;
  const now = performance.now();
  native.hurried = now - (native.at ?? 0) < feed.retryMin ? (native.hurried ?? 0) + 1 : 0;
  native.at = now;
  if (native.hurried > 1) {
    native.hurried = 0;
    if (feed.state !== 'open') feed.fail('network', 'EventSource could not connect.');
    return feed.retry();
  }
  if (feed.state === 'open') {
    // EventSource reconnects by itself: that attempt gets a connect timeout too.
    feed.armHeartbeat(feed.attempt, feed.connectTimeout, 'timeout');
    feed.setState('connecting');
    feed.emit(new RealtimeCloseEvent(true));
    return;
  }
  feed.fail('network', 'EventSource could not connect; it retries.');
  if (feed.superseded || !current()) return;
  if (++feed.reconnector.attempt > feed.maxRetries) {
    feed.disconnect();
    feed.settleRetry(-1);
  }
}

/** Final: retrying cannot help until the hub allows this page's origin. */
function refuse(feed: NativeFeed): void {
  feed.fail('forbidden-origin', `The hub does not allow the origin ${location.origin}.`, {
    status: 403,
  });
  feed.stop('error');
}

/** The element's side: each call is made only while the attempt is current. */
export interface NativeHost {
  current(): boolean;
  opened(): void;
  receive(type: string, data: string, lastEventId: string, origin: string): void;
  /**
   * `EventSource`'s error event: it gave up for good (`closed`, readyState CLOSED), or it
   * reconnects by itself (an open stream dropped, or one of its reconnects failed). `refused`:
   * it gave up because the hub refuses this page's origin (final).
   */
  error(closed: boolean, refused?: boolean): void;
}

/**
 * Native mode, loaded on first use: one `EventSource` reconnects by itself for as long as it
 * can, exactly as the spec says (its `Last-Event-ID` header, the id in force on id-less events,
 * `retry:`), so a drop resumes where a plain `EventSource` would. A new one (after one gave up,
 * or on re-insertion) cannot send the header: the cursor `resumed` goes in a `lastEventId`
 * query parameter, events a server replays anyway are dropped (`ReplayFilter`), and id-less
 * events carry the cursor until the stream sends an id. Returns the function that closes it.
 */
export function openEventSource(
  host: NativeHost,
  state: NativeState,
  src: URL,
  withCredentials: boolean,
  types: Iterable<string>,
  resumed: string,
): () => void {
  const url = new URL(src);
  if (resumed) url.searchParams.set('lastEventId', resumed);
  const source = new EventSource(url, { withCredentials });
  const replays = (state.replays ??= new ReplayFilter());
  replays.begin();
  /** Whether this EventSource has reported an id of its own yet. */
  let ownId = false;
  source.onopen = () => {
    // A reconnect of its own carried the header with its own last id.
    if (ownId) replays.reconnected();
    if (host.current()) host.opened();
  };
  for (const type of types) {
    source.addEventListener(type, (event) => {
      const { data, origin } = event as MessageEvent<string>;
      let { lastEventId } = event as MessageEvent<string>;
      if (lastEventId) ownId = true;
      if (replays.isReplay(lastEventId) || !host.current()) return;
      if (!ownId) lastEventId = resumed;
      replays.delivered(lastEventId);
      host.receive(type, data, lastEventId, origin);
    });
  }
  source.onerror = () => {
    if (!host.current()) return;
    if (source.readyState !== EventSource.CLOSED) return host.error(false);
    // Only another origin can refuse this page's origin.
    if (src.origin === location.origin) return host.error(true);
    // It shows no status: one plain GET learns whether the hub refused this page's origin,
    // which no retry can mend.
    void refusedOrigin(src, withCredentials).then(
      (refused) => host.current() && host.error(true, refused),
    );
  };
  return () => source.close();
}

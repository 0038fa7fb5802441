import { refusedOrigin } from './hub-refusal.js';
import { ReplayFilter } from './replay-filter.js';

/** What `<sse-feed>` keeps across the `EventSource`s it makes for one stream. */
export interface NativeState {
  replays?: ReplayFilter;
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

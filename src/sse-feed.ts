import type { PropertyDeclarations } from '@lit/reactive-element';
import type { TypedEventTarget } from './internal/realtime-element.js';
import { RetryingElement } from './internal/retrying-element.js';
import {
  RealtimeCloseEvent,
  ResetEvent,
  type RealtimeEventMap,
  type SseMessageEvent,
} from './internal/events.js';
import type { NativeState } from './internal/native-event-source.js';
import type { DoneEvent } from './internal/done-event.js';
import type { RunEnd } from './internal/sse-once.js';

export interface SseFeedEventMap<In = unknown> extends RealtimeEventMap {
  message: SseMessageEvent<In>;
  close: RealtimeCloseEvent;
  reset: ResetEvent;
  done: DoneEvent;
  authrefresh: Event;
}

type HeadersSource =
  Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

/**
 * Server-Sent Events that never silently stop and never lose an event: reconnects with backoff
 * and jitter, resumes from the last event id, honours the server's `retry:` and `Retry-After`,
 * and in fetch mode sends headers and a body, sees HTTP statuses and detects dead streams.
 *
 * @summary Server → tab events over SSE.
 * @tagname sse-feed
 *
 * @attr {string} src - Stream URL (required). Changing it re-connects, without the old cursor.
 * @attr {'auto' | 'fetch' | 'native'} mode - `auto`: fetch + a streaming parser for a same-origin `src` or when a fetch-only feature is set (`headers`, `body`, `method`, `heartbeat-timeout`), else `EventSource` (cross-origin it resumes without a CORS preflight).
 * @attr {string} events - Space-separated SSE event types to deliver. Empty: every type in fetch mode; in native mode `message` and the `topic`s named in the URL (EventSource can only listen for types it is told). With the hub, the type is the topic.
 * @attr {'text' | 'json'} type - `json` parses `data`; bad JSON → `parse-error`, and the stream goes on.
 * @attr {boolean} with-credentials - Send cookies cross-origin.
 * @attr {string} method - Fetch mode: the HTTP method.
 * @attr {string} last-event-id - Start from this cursor (one containing CR, LF or NUL, which no header can carry, is `invalid-attribute`).
 * @attr {number} rewind - With the hub: without a cursor, start with the last N events of the topics (`?rewind=N`); a resume never rewinds; a whole number ≥ 0, another value is `invalid-attribute`.
 * @attr {number} retry-min - Smallest reconnect delay after an error, ms (full jitter backoff).
 * @attr {number} retry-max - Largest reconnect delay, ms (a server's `Retry-After` or `retry:` may exceed it).
 * @attr {number} max-retries - Consecutive failed attempts before giving up with `retries-exhausted` (default: never).
 * @attr {number} connect-timeout - An attempt not open by then (ms; 0: never) is abandoned with `timeout` and retried: a server that accepts and never answers, a fetch that never settles, or an `EventSource` that never reports (WebKit's, for a refused port). Default 10000.
 * @attr {number} heartbeat-timeout - Fetch mode: no byte (comments count) for this long → reconnect. The hub sends a comment every 15 s: 45000 is a good value.
 * @attr {boolean} pause-hidden - Close while the tab is hidden, resume with replay when visible. Off by default, so switching tabs never re-sends a request. Never pauses a `once` stream.
 * @attr {boolean} once - One-shot streams (fetch mode), e.g. a generated answer: nothing is sent until `stream()`; the stream ends (`done`, state `closed`) on a clean end of the body, a `done-event` or `done-data`. A drop is resumed only by id (`Last-Event-ID`), else `interrupted`: a request is never sent twice.
 * @attr {string} done-event - With `once`: the SSE event type that ends the stream (default `done`); not delivered as a `message`.
 * @attr {string} done-data - With `once`: data that ends the stream, e.g. `[DONE]`; not delivered as a `message`. Set it where the server sends such data: WebKit reads a cut body as a complete one, and with `done-data` set it takes an end without it for a cut (resumed by id, else `interrupted`).
 * @attr {boolean} disabled - Keeps the feed closed.
 * @attr {string} state - `connecting`, `open`, `paused` (hidden tab with `pause-hidden`, or page in the back/forward cache), `closed`, `error`.
 *
 * @fires {SseMessageEvent} message - An SSE event. Its own type is in `eventType`: a server never chooses a DOM event type. Carries `data`, `lastEventId`, `eventType`, `origin`. The hub's presence (its `presence` option) arrives as `eventType` `$presence`, data `{ topic, action: 'snapshot' | 'join' | 'leave', members | user, info }`.
 * @fires {Event} open - The stream is open (fetch: a 200 `text/event-stream` answer).
 * @fires {RealtimeCloseEvent} close - An open stream ended: dropped (`willReconnect: true`, `readyState` already 0, as `EventSource`) or stopped. Carries `willReconnect`.
 * @fires {ResetEvent} reset - The server could not resume from the cursor (the hub's `reset` event: `epoch`, `too-old`, `invalid`, `too-many`). Events may have been missed: re-sync. Carries `reason`, `lastEventId`, and `topics` (those that missed events) when the hub names them.
 * @fires {DoneEvent} done - `once`: the stream ended as the server meant it to. Carries `reason` (`end`, `event`, `data`), `data`, `lastEventId`.
 * @fires {Event} authrefresh - `refresh` renewed the credentials (after a 401 or the hub's expiry); the feed reconnects at once with its cursor.
 * @fires {RealtimeErrorEvent} error - `code`: `missing-src`, `invalid-url`, `invalid-attribute`, `network`, `timeout` (not open within `connect-timeout`; retried), `http-status`, `unauthorized` (401 or 403; a 401 first calls `refresh` when set), `auth-failed` (`refresh` threw), `interrupted` (`once`: cut before its end without event ids; final), `forbidden-origin` (the hub refuses this page's origin: final; native mode learns it with one plain `GET` after `EventSource` gives up), `content-type`, `heartbeat-timeout`, `parse-error`, `retries-exhausted`; `status` when there is one.
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class SseFeedElement<In = unknown> extends RetryingElement<SseFeedEventMap<In>> {
  static override defaultTag = 'sse-feed';
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;

  static override properties: PropertyDeclarations = {
    src: { reflect: true },
    mode: { reflect: true },
    events: {},
    type: { reflect: true },
    withCredentials: { type: Boolean, attribute: 'with-credentials', reflect: true },
    method: {},
    startId: { attribute: 'last-event-id' },
    rewind: { type: Number },
    connectTimeout: { type: Number, attribute: 'connect-timeout' },
    heartbeatTimeout: { type: Number, attribute: 'heartbeat-timeout' },
    pauseHidden: { type: Boolean, attribute: 'pause-hidden' },
    once: { type: Boolean, reflect: true },
    doneEvent: { attribute: 'done-event' },
    doneData: { attribute: 'done-data' },
  };

  protected static override reopenOn = [
    'disabled',
    'src',
    'mode',
    'events',
    'withCredentials',
    'method',
    'startId',
    'pauseHidden',
    'shared',
    'once',
  ];

  src = '';
  mode: 'auto' | 'fetch' | 'native' = 'auto';
  /** Space-separated event types to deliver. */
  events = '';
  type: 'text' | 'json' = 'text';
  withCredentials = false;
  method = 'GET';
  /** @internal The `last-event-id` attribute. */
  startId: string | null = null;
  connectTimeout = 10_000;
  heartbeatTimeout = 0;
  pauseHidden = false;
  once = false;
  doneEvent = 'done';
  doneData = '';
  /** The hub's `rewind`: the last N events first, while there is no cursor (a whole number ≥ 0; another value is `invalid-attribute`). */
  rewind = 0;
  /** Fetch mode: a request body (objects as JSON), re-sent on every reconnect. */
  body: BodyInit | Record<string, unknown> | unknown[] | null = null;
  /** Fetch mode: request headers, or a function called before every attempt (fresh tokens). */
  headers: HeadersSource | null = null;

  /** The source the cursor belongs to: re-inserting resumes, a new src or start id does not. */
  private cursorSource?: string;
  /** The origin the last fetch-mode stream answered from, after redirects. */
  private streamOrigin?: string;
  private attempt = 0;
  private abort?: () => void;
  private heartbeat?: ReturnType<typeof setTimeout>;
  /** The `events` filter, read once per connection: the hot path only looks it up. */
  protected wanted: string[] = [];
  /** Native mode's memory of the stream (what was delivered, to drop a server's replays). */
  protected native: NativeState = {};
  /** `once`: ends the running `stream()` (set by its code, `internal/sse-once.ts`). */
  private run?: (end?: RunEnd) => void;

  /** As `EventSource.readyState`: 0 connecting, 1 open, 2 closed (`SseFeedElement.CONNECTING` …). */
  get readyState(): number {
    return this.state === 'open' ? 1 : this.state === 'connecting' ? 0 : 2;
  }

  /** The cursor: the last event id received, sent on every reconnect. */
  get lastEventId(): string {
    return this.cursor;
  }

  /**
   * Connects now with a fresh backoff (after `unauthorized`, an `http-status` stop, `close()` or
   * `retries-exhausted`).
   */
  reconnect(): void {
    this.intervene();
    if (!this.isConnected || this.disabled || !this.src) return;
    // The page acted (signed in again): a refusal now is a new one, `refresh` gets its turn.
    this.freshStart();
    this.start();
  }

  /** Stops the feed, like `EventSource.close()`: no reconnect until `reconnect()`. */
  close(): void {
    this.intervene();
    this.unshare();
    this.finish('abort');
    this.stop('closed');
  }

  /**
   * `once`: sends the next one-shot request (fetch mode; `body` replaces the `body` property),
   * aborting one still running. Resolves on `done`; rejects with the `error` (an `Error` with its
   * `code`: `interrupted`, `unauthorized`, `http-status`, …) or, when aborted by another
   * `stream()`, `close()`, `disabled` or removal (the server sees the request go), an
   * `AbortError`. Tab switches and `pause-hidden` never re-send it; `pagehide` aborts it.
   *
   * @throws {DOMException} `InvalidStateError` (as a rejection) without `once`, or on a removed or disabled element.
   */
  stream(body?: SseFeedElement['body']): Promise<void> {
    this.intervene();
    this.settle();
    if (!this.once || !this.isConnected || this.disabled) {
      return Promise.reject(
        new DOMException(`<${this.localName}> needs once and to be enabled.`, 'InvalidStateError'),
      );
    }
    this.finish('abort');
    this.disconnect();
    const attempt = this.attempt;
    // The run's code loads with fetch mode's (side by side): nothing is sent before.
    const running = Promise.all([
      import('./internal/sse-once.js'),
      import('./internal/sse-fetch-mode.js'),
    ]).then(
      ([once]) => once.runOnce(this as never, attempt, body),
      (cause: unknown) => {
        if (attempt === this.attempt)
          this.halt('network', 'The connection code did not load.', { cause });
        throw cause;
      },
    );
    // The page may ignore it: an abort must not surface as an unhandled rejection.
    running.catch(() => {});
    return running;
  }

  /** Ends the running `stream()` (if any): resolved, aborted, or failed with `error`. */
  private finish(end?: RunEnd): void {
    const run = this.run;
    this.run = undefined;
    run?.(end);
  }

  protected override acquire(): void {
    const source = `${this.src}\0${this.startId}`;
    if (source !== this.cursorSource) {
      this.cursor = this.startId ?? '';
      this.native = {};
      this.streamOrigin = undefined;
    }
    this.cursorSource = source;
    if (!this.src) return this.missing('src');
    try {
      new URL(this.src, document.baseURI);
    } catch {
      return this.halt('invalid-url', `"${this.src}" is not a URL.`);
    }
    if (
      !['text', 'json'].includes(this.type) ||
      !['auto', 'fetch', 'native'].includes(this.mode) ||
      (this.once && this.mode === 'native') ||
      // The hub answers another rewind 400 on every try: told once here instead.
      !(Number.isSafeInteger(this.rewind) && this.rewind >= 0)
    ) {
      return this.halt(
        'invalid-attribute',
        `Bad type="${this.type}", mode="${this.mode}" or rewind="${this.rewind}".`,
      );
    }
    // A stream's ids never hold these (the parser splits lines there and ignores ids with NULL).
    if (/[\r\n\0]/.test(this.cursor)) {
      return this.halt('invalid-attribute', 'last-event-id cannot contain CR, LF or NUL.');
    }
    // A one-shot request is sent by stream() only.
    if (this.once) return;
    // Shared feeds stay connected: the leading tab may be hidden while others are not.
    const pausing = this.pauseHidden && !this.shared;
    if (pausing) document.addEventListener('visibilitychange', this.onVisibility);
    if (pausing && document.visibilityState === 'hidden') this.setState('paused');
    else this.start();
  }

  protected override release(): void {
    super.release();
    this.finish('abort');
    document.removeEventListener('visibilitychange', this.onVisibility);
    const wasOpen = this.state === 'open';
    this.disconnect();
    this.reconnector.cancel();
    if (wasOpen) this.emit(new RealtimeCloseEvent(false));
  }

  private get url(): URL {
    const url = new URL(this.src, document.baseURI);
    // Only without a cursor: a resume (EventSource's own reconnects send the header) never rewinds.
    if (this.rewind > 0 && !this.cursor) url.searchParams.set('rewind', String(this.rewind));
    return url;
  }

  /**
   * `auto` picks `EventSource` for a cross-origin stream unless a fetch-only feature is asked
   * for: a fetch that resumes must send `Last-Event-ID`, which is not a CORS-safelisted header,
   * so the browser preflights it, and a server written for `EventSource` (which never
   * preflights) refuses. `EventSource`'s own reconnects send the header with no preflight.
   */
  private get useFetch(): boolean {
    if (this.mode !== 'auto' || this.once) return this.mode !== 'native';
    if (typeof fetch !== 'function' || typeof ReadableStream !== 'function') return false;
    // A same-origin src that redirects to another origin counts as cross-origin: EventSource's
    // reconnects follow the redirect with Last-Event-ID; a fetch's would be preflighted.
    const origin = this.url.origin;
    if (origin === location.origin && (this.streamOrigin ?? origin) === origin) return true;
    return (
      this.headers !== null ||
      this.body !== null ||
      (this.method || 'GET').toUpperCase() !== 'GET' ||
      this.heartbeatTimeout > 0
    );
  }

  protected override connect(): void {
    if (this.following || (this.once && !this.run)) return;
    this.disconnect();
    this.beginAttempt();
    const attempt = ++this.attempt;
    this.wanted = this.events.split(/\s+/).filter(Boolean);
    this.armHeartbeat(attempt, this.connectTimeout, 'timeout');
    if (this.useFetch) this.connectFetch(attempt);
    else this.connectNative(attempt);
  }

  /** `once`: `pagehide` aborts the request; a stream with an id resumes on `pageshow`. */
  protected override suspend(): void {
    // Without an id to resume from, a one-shot request is never sent again: `interrupted`.
    if (this.once && !this.cursor) this.retry();
    else this.disconnect();
  }

  /** Ends the current attempt without scheduling another. */
  private disconnect(): void {
    this.attempt++;
    clearTimeout(this.heartbeat);
    this.abort?.();
    this.abort = undefined;
  }

  private stop(state: 'closed' | 'error'): void {
    if (this.superseded) return;
    const wasActive = this.state !== 'closed' && this.state !== 'error';
    this.disconnect();
    this.reconnector.cancel();
    this.setState(state);
    if (wasActive) this.emit(new RealtimeCloseEvent(false));
    this.finish(state === 'error' ? 'fail' : undefined);
  }

  /**
   * The connection failed or dropped: schedule the next attempt (or give up). `retryAfter` < 0:
   * at once (fresh credentials). `answered`: the server refused the request (a status), so a
   * one-shot request may be sent again; a drop resumes it only by id.
   */
  private retry(retryAfter = 0, answered?: boolean): void {
    // A listener of the event that brought us here already chose (close(), reconnect(), …).
    if (this.superseded) return;
    if (this.once && !answered && !this.cursor) {
      this.fail('interrupted', 'Cut before its end, with no id to resume from.');
      return this.stop('error');
    }
    const wasOpen = this.state === 'open';
    this.disconnect();
    // At once only after a stable connection: credentials that keep expiring at once (a clock
    // far off, a grant of a few ms) take the backoff instead of a hot loop.
    const now = retryAfter < 0 && !this.reconnector.attempt++;
    const delay = now ? 0 : this.scheduleRetry(Math.max(0, retryAfter));
    // Like EventSource: readyState is CONNECTING (or CLOSED) before the page hears of the drop.
    this.setState(delay >= 0 ? 'connecting' : 'error');
    if (wasOpen) this.emit(new RealtimeCloseEvent(delay >= 0));
    if (now) {
      if (!this.superseded) this.connect();
    } else if (delay < 0) {
      this.settleRetry(delay);
      this.finish('fail');
    }
  }

  protected opened(): void {
    this.renewed = false;
    this.setState('open');
    this.reconnector.opened();
    this.emit(new Event('open'));
  }

  /** Fetch mode (`internal/sse-fetch-mode.ts`, loaded on first use). */
  private connectFetch(attempt: number): void {
    const current = () => attempt === this.attempt;
    this.load(import('./internal/sse-fetch-mode.js'), current, ({ connectFetch }) =>
      connectFetch(this as never, attempt, current),
    );
  }

  /** Runs a connection module once it has loaded (if the attempt is still current). */
  private load<T>(module: Promise<T>, current: () => boolean, run: (module: T) => unknown): void {
    module.then(
      (loaded) => current() && run(loaded),
      (cause: unknown) =>
        current() &&
        this.lost('network', 'The connection code did not load.', { cause }) &&
        this.retry(),
    );
  }

  /**
   * One timer per attempt: until the stream opens `connect-timeout` (code `timeout`), then in
   * fetch mode `heartbeat-timeout`. Either abandons the attempt and retries; `ms` 0 clears it.
   */
  protected armHeartbeat(
    attempt: number,
    ms = this.heartbeatTimeout,
    code = 'heartbeat-timeout',
  ): void {
    clearTimeout(this.heartbeat);
    if (!(ms > 0)) return;
    this.heartbeat = setTimeout(() => {
      if (
        attempt === this.attempt &&
        this.lost(code, `Nothing received for ${ms} ms; reconnecting.`)
      )
        this.retry();
    }, ms);
  }

  /** Native mode (`internal/native-event-source.ts`, loaded on first use). */
  private connectNative(attempt: number): void {
    const current = () => attempt === this.attempt;
    this.load(import('./internal/native-event-source.js'), current, ({ connectNative }) => {
      this.abort = connectNative(this as never, current);
    });
  }

  private readonly onVisibility = (): void => {
    // A feed the page closed, or one stopped for good (204, 401, …), stays so: only a running
    // feed pauses, and only a paused one resumes.
    if (this.state === 'closed' || this.state === 'error') return;
    if (document.visibilityState === 'hidden') {
      this.disconnect();
      this.reconnector.cancel();
      this.setState('paused');
    } else if (this.state === 'paused') {
      this.connect();
    }
  };
}

export interface SseFeedElement<In = unknown> {
  addEventListener: TypedEventTarget<SseFeedEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<SseFeedEventMap<In>>['removeEventListener'];
}

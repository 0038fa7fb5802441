import type { PropertyDeclarations } from '@lit/reactive-element';
import type { TypedEventTarget } from './internal/realtime-element.js';
import { RetryingElement, retryAfterMs } from './internal/retrying-element.js';
import {
  RealtimeCloseEvent,
  RealtimeMessageEvent,
  ResetEvent,
  type RealtimeEventMap,
} from './internal/events.js';
import { SseParser } from './internal/sse-parser.js';
import { ReplayFilter } from './internal/replay-filter.js';

export interface SseFeedEventMap extends RealtimeEventMap {
  message: RealtimeMessageEvent;
  close: RealtimeCloseEvent;
  reset: ResetEvent;
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
 * @attr {string} events - Space-separated SSE event types to deliver. Empty: every type in fetch mode, only `message` in native mode (EventSource can only listen for types it is told). With the hub, the type is the topic.
 * @attr {'text' | 'json'} type - `json` parses `data`; bad JSON → `parse-error`, and the stream goes on.
 * @attr {boolean} with-credentials - Send cookies cross-origin.
 * @attr {string} method - Fetch mode: the HTTP method.
 * @attr {string} last-event-id - Start from this cursor (one containing CR, LF or NUL, which no header can carry, is `invalid-attribute`).
 * @attr {number} retry-min - Smallest reconnect delay after an error, ms (full jitter backoff).
 * @attr {number} retry-max - Largest reconnect delay, ms (a server's `Retry-After` or `retry:` may exceed it).
 * @attr {number} max-retries - Consecutive failed attempts before giving up with `retries-exhausted` (default: never).
 * @attr {number} heartbeat-timeout - Fetch mode: no byte (comments count) for this long → reconnect. The hub sends a comment every 15 s: 45000 is a good value.
 * @attr {boolean} pause-hidden - Close while the tab is hidden, resume with replay when visible. Off by default, so switching tabs never re-sends a request.
 * @attr {boolean} disabled - Keeps the feed closed.
 * @attr {string} state - `connecting`, `open`, `paused`, `closed`, `error`.
 *
 * @fires {RealtimeMessageEvent} message - An SSE event. Its own type is in `eventType`: a server never chooses a DOM event type. Carries `data`, `lastEventId`, `eventType`, `origin`.
 * @fires {Event} open - The stream is open (fetch: a 200 `text/event-stream` answer).
 * @fires {RealtimeCloseEvent} close - An open stream ended: dropped (`willReconnect: true`, `readyState` already 0, as `EventSource`) or stopped. Carries `willReconnect`.
 * @fires {ResetEvent} reset - The server could not resume from the cursor (the hub's `reset` event: `epoch`, `too-old`, `invalid`). Events may have been missed: re-sync. Carries `reason`, `lastEventId`.
 * @fires {RealtimeErrorEvent} error - `code`: `missing-src`, `invalid-url`, `invalid-attribute`, `network`, `http-status`, `unauthorized`, `content-type`, `heartbeat-timeout`, `parse-error`, `retries-exhausted`; `status` when there is one.
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class SseFeedElement extends RetryingElement<SseFeedEventMap> {
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
    heartbeatTimeout: { type: Number, attribute: 'heartbeat-timeout' },
    pauseHidden: { type: Boolean, attribute: 'pause-hidden' },
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
  heartbeatTimeout = 0;
  pauseHidden = false;
  /** Fetch mode: a request body (objects as JSON), re-sent on every reconnect. */
  body: BodyInit | Record<string, unknown> | unknown[] | null = null;
  /** Fetch mode: request headers, or a function called before every attempt (fresh tokens). */
  headers: HeadersSource | null = null;

  /** The source the cursor belongs to: re-inserting resumes, a new src or start id does not. */
  private cursorSource?: string;
  private attempt = 0;
  private abort?: () => void;
  private heartbeat?: ReturnType<typeof setTimeout>;
  /** The `events` filter, read once per connection: the hot path only looks it up. */
  private wanted: string[] = [];
  /** Native mode: drops what a server replays to a replaced `EventSource`. */
  private readonly replays = new ReplayFilter();

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
    this.reconnector.reset();
    this.start();
  }

  /** Stops the feed, like `EventSource.close()`: no reconnect until `reconnect()`. */
  close(): void {
    this.intervene();
    this.unshare();
    this.stop('closed');
  }

  protected override acquire(): void {
    const source = `${this.src}\0${this.startId}`;
    if (source !== this.cursorSource) {
      this.cursor = this.startId ?? '';
      this.replays.forget();
    }
    this.cursorSource = source;
    if (!this.src) return this.fail('missing-src', `<${this.localName}> needs a src attribute.`);
    try {
      new URL(this.src, document.baseURI);
    } catch {
      return this.invalid('invalid-url', `"${this.src}" is not a URL.`);
    }
    if (!['text', 'json'].includes(this.type) || !['auto', 'fetch', 'native'].includes(this.mode)) {
      return this.invalid('invalid-attribute', `Bad type="${this.type}" or mode="${this.mode}".`);
    }
    // A stream's ids never hold these (the parser splits lines there and ignores ids with NULL).
    if (/[\r\n\0]/.test(this.cursor)) {
      return this.invalid('invalid-attribute', 'last-event-id cannot contain CR, LF or NUL.');
    }
    // Shared feeds stay connected: the leading tab may be hidden while others are not.
    const pausing = this.pauseHidden && !this.shared;
    if (pausing) document.addEventListener('visibilitychange', this.onVisibility);
    if (pausing && document.visibilityState === 'hidden') this.setState('paused');
    else this.start();
  }

  protected override release(): void {
    super.release();
    document.removeEventListener('visibilitychange', this.onVisibility);
    const wasOpen = this.state === 'open';
    this.disconnect();
    this.reconnector.cancel();
    if (wasOpen) this.emit(new RealtimeCloseEvent(false));
  }

  private invalid(code: string, message: string): void {
    this.setState('error');
    this.fail(code, message);
  }

  /**
   * `auto` picks `EventSource` for a cross-origin stream unless a fetch-only feature is asked
   * for: a fetch that resumes must send `Last-Event-ID`, which is not a CORS-safelisted header,
   * so the browser preflights it, and a server written for `EventSource` (which never
   * preflights) refuses. `EventSource`'s own reconnects send the header with no preflight.
   */
  private get useFetch(): boolean {
    if (this.mode !== 'auto') return this.mode === 'fetch';
    if (typeof fetch !== 'function' || typeof ReadableStream !== 'function') return false;
    if (new URL(this.src, document.baseURI).origin === location.origin) return true;
    return (
      this.headers !== null ||
      this.body !== null ||
      (this.method || 'GET').toUpperCase() !== 'GET' ||
      this.heartbeatTimeout > 0
    );
  }

  protected override connect(): void {
    if (this.following) return;
    this.disconnect();
    this.beginAttempt();
    const attempt = ++this.attempt;
    this.wanted = this.events.split(/\s+/).filter(Boolean);
    if (this.useFetch) void this.connectFetch(attempt);
    else this.connectNative(attempt);
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
  }

  /** The connection failed or dropped: schedule the next attempt (or give up). */
  private retry(retryAfter = 0): void {
    // A listener of the event that brought us here already chose (close(), reconnect(), …).
    if (this.superseded) return;
    const wasOpen = this.state === 'open';
    this.disconnect();
    const delay = this.scheduleRetry(retryAfter);
    // Like EventSource: readyState is CONNECTING (or CLOSED) before the page hears of the drop.
    this.setState(delay >= 0 ? 'connecting' : 'error');
    if (wasOpen) this.emit(new RealtimeCloseEvent(delay >= 0));
    if (delay < 0) this.settleRetry(delay);
  }

  private opened(): void {
    this.setState('open');
    this.reconnector.opened();
    this.emit(new Event('open'));
  }

  private receive(type: string, data: string, lastEventId: string, origin: string): void {
    this.cursor = lastEventId;
    this.replays.delivered(lastEventId);
    // The hub's control events: `cursor` starts a fresh stream's cursor, `reset` is announced.
    if (type === 'cursor') return;
    if (type === 'reset') {
      let reason = 'unknown';
      try {
        reason = JSON.parse(data).reason ?? reason;
      } catch {
        // A reset without a JSON body still is one.
      }
      this.emit(new ResetEvent(reason, lastEventId));
      return;
    }
    if (this.wanted.length && !this.wanted.includes(type)) return;
    let value: unknown = data;
    if (this.type === 'json') {
      try {
        value = JSON.parse(data);
      } catch (error) {
        this.fail('parse-error', `Event data is not JSON: ${(error as Error).message}`, {
          raw: data,
        });
        return;
      }
    }
    this.emit(new RealtimeMessageEvent({ data: value, lastEventId, origin, eventType: type }));
  }

  private async connectFetch(attempt: number): Promise<void> {
    const controller = new AbortController();
    this.abort = () => controller.abort();
    const current = () => attempt === this.attempt;
    let response: Response;
    try {
      const extra = typeof this.headers === 'function' ? await this.headers() : this.headers;
      const headers = new Headers({ Accept: 'text/event-stream', ...extra });
      const url = new URL(this.src, document.baseURI);
      if (this.cursor) {
        const value = headerValue(this.cursor);
        if (value) headers.set('Last-Event-ID', value);
        else url.searchParams.set('lastEventId', this.cursor);
      }
      // Plain objects and arrays travel as JSON; strings, Blob, FormData, URLSearchParams as they are.
      let body = this.body as BodyInit | null;
      if (
        body !== null &&
        (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype)
      ) {
        body = JSON.stringify(body);
        if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
      }
      if (!current()) return;
      response = await fetch(url, {
        method: this.method || 'GET',
        headers,
        body: this.method && this.method.toUpperCase() !== 'GET' ? body : null,
        credentials: this.withCredentials ? 'include' : 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch (error) {
      if (!current()) return;
      const crossOrigin = new URL(this.src, document.baseURI).origin !== location.origin;
      const hint =
        crossOrigin && this.cursor
          ? ' (cross-origin, resuming sends Last-Event-ID: the server must allow it in its CORS preflight)'
          : '';
      this.fail('network', `Could not connect: ${(error as Error).message}${hint}`, {
        cause: error,
      });
      return this.retry();
    }
    if (!current()) return;
    const { status } = response;
    if (status === 204) return this.stop('closed');
    if (status !== 200) {
      void response.body?.cancel().catch(() => {});
      if (status === 401 || status === 403) {
        this.fail(
          'unauthorized',
          `The server answered ${status}; call reconnect() once authorized.`,
          { status },
        );
        return this.stop('error');
      }
      this.fail('http-status', `The server answered ${status}.`, { status });
      if (status === 429 || status >= 500)
        return this.retry(retryAfterMs(response.headers.get('Retry-After')));
      return this.stop('error');
    }
    const contentType = response.headers.get('Content-Type') ?? '';
    // The MIME type's essence, parameters aside (`text/event-stream;charset=utf-8` is fine).
    if (contentType.split(';')[0].trim().toLowerCase() !== 'text/event-stream') {
      void response.body?.cancel().catch(() => {});
      this.fail('content-type', `Expected text/event-stream, got "${contentType}".`, { status });
      return this.retry();
    }
    const origin = new URL(response.url || this.src, document.baseURI).origin;
    const parser = new SseParser(
      {
        onEvent: (event) =>
          current() && this.receive(event.type, event.data, event.lastEventId, origin),
        onRetry: (ms) => (this.reconnector.serverFloor = ms),
      },
      this.cursor,
    );
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    this.opened();
    this.armHeartbeat(attempt);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (!current()) return;
        if (done) break;
        this.armHeartbeat(attempt);
        parser.push(decoder.decode(value, { stream: true }));
        if (!current()) return; // a listener closed or re-opened the feed
        this.cursor = parser.lastEventId;
      }
    } catch {
      if (!current()) return;
    }
    parser.push(decoder.decode());
    parser.end();
    this.cursor = parser.lastEventId;
    this.retry();
  }

  private armHeartbeat(attempt: number): void {
    clearTimeout(this.heartbeat);
    if (!(this.heartbeatTimeout > 0)) return;
    this.heartbeat = setTimeout(() => {
      if (attempt !== this.attempt) return;
      this.fail(
        'heartbeat-timeout',
        `Nothing received for ${this.heartbeatTimeout} ms; reconnecting.`,
      );
      this.retry();
    }, this.heartbeatTimeout);
  }

  /**
   * Native mode: one `EventSource` reconnects by itself for as long as it can, exactly as the
   * spec says (its `Last-Event-ID` header, the id in force on id-less events, `retry:`), so a
   * drop resumes where a plain `EventSource` would. Only when it gives up for good (an HTTP
   * error status, a wrong content type, a refused CORS request: readyState CLOSED) does the
   * element make a new one after its own backoff. That one cannot send the header: the cursor
   * goes in a `lastEventId` query parameter, events a server replays anyway are dropped
   * (`ReplayFilter`), and id-less events carry the cursor until the stream sends an id.
   */
  private connectNative(attempt: number): void {
    const url = new URL(this.src, document.baseURI);
    const resumed = this.cursor;
    if (resumed) url.searchParams.set('lastEventId', resumed);
    const source = new EventSource(url, { withCredentials: this.withCredentials });
    this.abort = () => source.close();
    this.replays.begin();
    /** Whether this EventSource has reported an id of its own yet. */
    let ownId = false;
    source.onopen = () => {
      if (attempt !== this.attempt) return;
      // A reconnect of its own carried the header: nothing is replayed from here on.
      if (ownId) this.replays.stop();
      this.opened();
    };
    const types = this.wanted.length ? this.wanted : ['message'];
    for (const type of new Set([...types, 'reset', 'cursor'])) {
      source.addEventListener(type, (event) => {
        if (attempt !== this.attempt) return;
        const { data, origin } = event as MessageEvent<string>;
        let { lastEventId } = event as MessageEvent<string>;
        if (lastEventId) ownId = true;
        if (this.replays.isReplay(lastEventId)) return;
        if (!ownId) lastEventId = resumed;
        this.receive(type, data, lastEventId, origin);
      });
    }
    source.onerror = () => {
      if (attempt !== this.attempt) return;
      if (source.readyState === EventSource.CLOSED) {
        // EventSource gave up (it shows no status): our backoff, then a new one.
        if (this.state !== 'open') {
          this.fail('network', 'The event stream could not be opened (EventSource gave up).');
        }
        return this.retry();
      }
      // EventSource is reconnecting by itself (after its reconnection time or `retry:`).
      if (this.state === 'open') {
        this.setState('connecting');
        this.emit(new RealtimeCloseEvent(true));
        return;
      }
      this.fail('network', 'The event stream could not be opened; EventSource retries.');
      if (this.superseded || attempt !== this.attempt) return;
      if (++this.reconnector.attempt > this.maxRetries) {
        this.disconnect();
        this.setState('error');
        this.fail(
          'retries-exhausted',
          `Gave up after ${this.maxRetries} attempts; call reconnect() to try again.`,
        );
      }
    };
  }

  private readonly onVisibility = (): void => {
    if (document.visibilityState === 'hidden') {
      this.disconnect();
      this.reconnector.cancel();
      this.setState('paused');
    } else if (this.state === 'paused') {
      this.connect();
    }
  };
}

export interface SseFeedElement {
  addEventListener: TypedEventTarget<SseFeedEventMap>['addEventListener'];
  removeEventListener: TypedEventTarget<SseFeedEventMap>['removeEventListener'];
}

/**
 * The cursor as a `Last-Event-ID` value, or `null` when no header can carry it.
 *
 * - UTF-8, as `EventSource` sends it: `Headers` sends each character below U+0100 as one byte,
 *   so the value is the id's UTF-8 bytes one per character (lone surrogates become U+FFFD).
 * - Spaces and tabs around the id are dropped: HTTP strips them from any field value, and
 *   `EventSource` sends the id trimmed too.
 * - Control characters (U+0001–U+001F but tab, U+007F) are refused by HTTP servers (Node
 *   answers 400): such an id, or one of only spaces, goes in the `lastEventId` query instead.
 */
function headerValue(id: string): string | null {
  const trimmed = id.replace(/^[ \t]+|[ \t]+$/g, '');
  // eslint-disable-next-line no-control-regex
  if (trimmed === '' || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(trimmed)) return null;
  if (!/[^ -~\t]/.test(trimmed)) return trimmed; // printable ASCII and tab: as it is
  let bytes = '';
  for (const byte of new TextEncoder().encode(trimmed)) bytes += String.fromCharCode(byte);
  return bytes;
}

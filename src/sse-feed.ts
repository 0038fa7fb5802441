import type { PropertyDeclarations } from '@lit/reactive-element';
import type { TypedEventTarget } from './internal/realtime-element.js';
import { RetryingElement, retryAfterMs } from './internal/retrying-element.js';
import {
  RealtimeCloseEvent,
  RealtimeMessageEvent,
  ResetEvent,
  type RealtimeEventMap,
  type SseMessageEvent,
} from './internal/events.js';
import { SseParser } from './internal/sse-parser.js';

export interface SseFeedEventMap extends RealtimeEventMap {
  message: SseMessageEvent;
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
 * @attr {'auto' | 'fetch' | 'native'} mode - `auto` uses fetch + a streaming parser wherever fetch and readable streams exist, else `EventSource`.
 * @attr {string} events - Space-separated SSE event types to deliver. Empty: every type in fetch mode, only `message` in native mode (EventSource can only listen for types it is told). With the hub, the type is the topic.
 * @attr {'text' | 'json'} type - `json` parses `data`; bad JSON → `parse-error`, and the stream goes on.
 * @attr {boolean} with-credentials - Send cookies cross-origin.
 * @attr {string} method - Fetch mode: the HTTP method.
 * @attr {string} last-event-id - Start from this cursor.
 * @attr {number} retry-min - Smallest reconnect delay after an error, ms (full jitter backoff).
 * @attr {number} retry-max - Largest reconnect delay, ms (a server's `Retry-After` or `retry:` may exceed it).
 * @attr {number} max-retries - Consecutive failed attempts before giving up with `retries-exhausted` (default: never).
 * @attr {number} heartbeat-timeout - Fetch mode: no byte (comments count) for this long → reconnect. The hub sends a comment every 15 s: 45000 is a good value.
 * @attr {boolean} pause-hidden - Close while the tab is hidden, resume with replay when visible. Off by default, so switching tabs never re-sends a request.
 * @attr {boolean} disabled - Keeps the feed closed.
 * @attr {string} state - `connecting`, `open`, `paused`, `closed`, `error`.
 *
 * @fires {SseMessageEvent} message - An SSE event. Its own type is in `eventType`: a server never chooses a DOM event type. Carries `data`, `lastEventId`, `eventType`, `origin`.
 * @fires {Event} open - The stream is open (fetch: a 200 `text/event-stream` answer).
 * @fires {RealtimeCloseEvent} close - An open stream ended: dropped (`willReconnect: true`) or stopped. Carries `willReconnect`.
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
    if (!this.isConnected || this.disabled || !this.src) return;
    this.reconnector.reset();
    this.start();
  }

  /** Stops the feed, like `EventSource.close()`: no reconnect until `reconnect()`. */
  close(): void {
    this.unshare();
    this.stop('closed');
  }

  protected override acquire(): void {
    const source = `${this.src}\0${this.startId}`;
    if (source !== this.cursorSource) this.cursor = this.startId ?? '';
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

  private get useFetch(): boolean {
    return (
      this.mode === 'fetch' ||
      (this.mode === 'auto' && typeof fetch === 'function' && typeof ReadableStream === 'function')
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
    const wasActive = this.state !== 'closed' && this.state !== 'error';
    this.disconnect();
    this.reconnector.cancel();
    this.setState(state);
    if (wasActive) this.emit(new RealtimeCloseEvent(false));
  }

  /** The connection failed or dropped: schedule the next attempt (or give up). */
  private retry(retryAfter = 0): void {
    const wasOpen = this.state === 'open';
    this.disconnect();
    const delay = this.scheduleRetry(retryAfter);
    if (wasOpen) this.emit(new RealtimeCloseEvent(delay >= 0));
    this.settleRetry(delay);
  }

  private opened(): void {
    this.setState('open');
    this.reconnector.opened();
    this.emit(new Event('open'));
  }

  private receive(type: string, data: string, lastEventId: string, origin: string): void {
    this.cursor = lastEventId;
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
      if (this.cursor) headers.set('Last-Event-ID', this.cursor);
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
      response = await fetch(new URL(this.src, document.baseURI), {
        method: this.method || 'GET',
        headers,
        body: this.method && this.method.toUpperCase() !== 'GET' ? body : null,
        credentials: this.withCredentials ? 'include' : 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch (error) {
      if (!current()) return;
      this.fail('network', `Could not connect: ${(error as Error).message}`, { cause: error });
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
        return this.retry(
          retryAfterMs(response.headers.get('Retry-After'), response.headers.get('Date')),
        );
      return this.stop('error');
    }
    const contentType = response.headers.get('Content-Type') ?? '';
    if (!/^text\/event-stream\b/i.test(contentType)) {
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
        this.cursor = parser.lastEventId;
      }
    } catch {
      if (!current()) return;
    }
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

  private connectNative(attempt: number): void {
    const url = new URL(this.src, document.baseURI);
    // A new EventSource cannot send Last-Event-ID: the cursor goes in the query (the hub reads it).
    if (this.cursor) url.searchParams.set('lastEventId', this.cursor);
    const source = new EventSource(url, { withCredentials: this.withCredentials });
    this.abort = () => source.close();
    source.onopen = () => attempt === this.attempt && this.opened();
    const types = this.wanted.length ? this.wanted : ['message'];
    for (const type of new Set([...types, 'reset', 'cursor'])) {
      source.addEventListener(type, (event) => {
        const { data, lastEventId, origin } = event as MessageEvent<string>;
        if (attempt === this.attempt) this.receive(type, data, lastEventId, origin);
      });
    }
    // EventSource shows no status: every failure is `network`, retried by our own policy.
    source.onerror = () => {
      if (attempt !== this.attempt) return;
      if (this.state !== 'open') this.fail('network', 'The event stream could not be opened.');
      this.retry();
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

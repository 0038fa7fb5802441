import type { PropertyDeclarations } from '@lit/reactive-element';
import type { TypedEventTarget } from './internal/realtime-element.js';
import { RetryingElement } from './internal/retrying-element.js';
import {
  RealtimeCloseEvent,
  type ResetEvent,
  type RealtimeEventMap,
  type HubMessageEvent,
} from './internal/events.js';

export interface PollFeedEventMap<In = unknown> extends RealtimeEventMap {
  message: HubMessageEvent<In>;
  reset: ResetEvent;
  close: RealtimeCloseEvent;
  authrefresh: Event;
}

type HeadersSource =
  Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);

/**
 * HTTP polling done well, where push is blocked: short polling with `If-None-Match` /
 * `If-Modified-Since` (a `message` only when the content changed), or `long` polling against the
 * hub's poll endpoint with a cursor (no gap, no duplicate). Backs off on errors, honours
 * `Retry-After`, pauses while the tab is hidden and while offline, never has two requests in flight.
 *
 * @summary Server → tab updates by polling.
 * @tagname poll-feed
 *
 * @attr {string} src - URL to poll (required). With `long`: the hub's poll endpoint with its `topic`s (`since` is added by the element).
 * @attr {number} interval - Ms between a response and the next request: default 5000 for short polling, 0 for long polling.
 * @attr {'text' | 'json'} type - Short polling: parse the body as JSON. (Long polling delivers the hub's JSON values.)
 * @attr {boolean} long - Long-poll the hub with a cursor.
 * @attr {boolean} poll-hidden - Keep polling while the tab is hidden (by default polling pauses, and polls at once when visible again).
 * @attr {boolean} with-credentials - Send cookies cross-origin.
 * @attr {string} method - The HTTP method (default `GET`; `body` is sent with any other).
 * @attr {string} last-event-id - Long polling: start from this cursor.
 * @attr {number} rewind - Long polling: without a cursor, start with the last N events of the topics (`rewind=N`); a whole number ≥ 0, another value is `invalid-attribute`.
 * @attr {number} timeout - A poll not answered by then (ms, the whole response; 0: never) is aborted with `timeout` and retried. Default 40000: above the hub's 25 s long-poll hold and the 30 s many servers use.
 * @attr {number} retry-min - Smallest reconnect delay after an error, ms (full jitter backoff).
 * @attr {number} retry-max - Largest reconnect delay, ms (a server's `Retry-After` or `retry:` may exceed it).
 * @attr {number} max-retries - Consecutive failed attempts before giving up with `retries-exhausted` (default: never).
 * @attr {boolean} disabled - Keeps it stopped.
 * @attr {string} state - `connecting`, `open`, `paused` (hidden tab, or page in the back/forward cache), `closed`, `error`.
 *
 * @fires {HubMessageEvent} message - New content (short), or each hub event (long). Carries `data`, `origin`; long polling also `lastEventId`, `topic`, `id`.
 * @fires {Event} open - The first poll succeeded.
 * @fires {ResetEvent} reset - Long polling: the hub could not resume from the cursor. Carries `reason`, `lastEventId`, `topics` (those that missed events, when named).
 * @fires {Event} authrefresh - `refresh` renewed the credentials after a 401; the poll is made again at once.
 * @fires {RealtimeErrorEvent} error - `missing-src`, `invalid-url`, `invalid-attribute`; `forbidden-origin` (the hub refuses this page's origin: final); `unauthorized` (401 or 403, final; a 401 first calls `refresh` when set), `auth-failed` (`refresh` threw); `http-status` (with `status`; retried with backoff, honouring `Retry-After`); `network`, `timeout` (retried); `parse-error` (`raw`; polling goes on); `retries-exhausted`. Carries `code`, `message`, `status`, `raw`.
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class PollFeedElement<In = unknown> extends RetryingElement<PollFeedEventMap<In>> {
  static override defaultTag = 'poll-feed';

  static override properties: PropertyDeclarations = {
    src: { reflect: true },
    interval: { type: Number },
    timeout: { type: Number },
    type: { reflect: true },
    long: { type: Boolean, reflect: true },
    pollHidden: { type: Boolean, attribute: 'poll-hidden' },
    withCredentials: { type: Boolean, attribute: 'with-credentials' },
    method: {},
    startId: { attribute: 'last-event-id' },
    rewind: { type: Number },
  };

  protected static override reopenOn = [
    'disabled',
    'src',
    'long',
    'pollHidden',
    'withCredentials',
    'startId',
    'shared',
  ];

  src = '';
  interval?: number;
  timeout = 40_000;
  type: 'text' | 'json' = 'text';
  long = false;
  pollHidden = false;
  withCredentials = false;
  method = 'GET';
  /** A request body for methods other than `GET` (objects as JSON). */
  body: BodyInit | Record<string, unknown> | unknown[] | null = null;
  /** Request headers, or a function called before every poll (fresh tokens). */
  headers: HeadersSource | null = null;
  /** @internal The `last-event-id` attribute: long polling starts from this cursor. */
  startId: string | null = null;
  /** Long polling: the last N events first, while there is no cursor (a whole number ≥ 0; another value is `invalid-attribute`). */
  rewind = 0;

  protected inFlight?: AbortController;
  private timer?: ReturnType<typeof setTimeout>;
  /** Short polling: the validators and body of the last answer (`internal/poll-request.ts`). */
  protected etag = '';
  protected lastModified = '';
  protected lastBody?: string;
  protected opened = false;

  /** Long polling: the hub cursor of the last event received, sent with every poll. */
  get lastEventId(): string {
    return this.cursor;
  }

  /** Polls now (a poll already in flight is not doubled). */
  poll(): void {
    if (this.state === 'error' || this.state === 'closed' || !this.isConnected) return;
    this.connect();
  }

  /**
   * Polls again now with a fresh backoff, keeping the cursor: after `unauthorized`,
   * `forbidden-origin` or `retries-exhausted` (a refusal then calls `refresh` again).
   */
  reconnect(): void {
    this.intervene();
    if (!this.isConnected || this.disabled || !this.src) return;
    this.stopPolling();
    this.freshStart();
    // Stopped: the next answer opens it again (`open`).
    if (this.state !== 'open') this.opened = false;
    this.start();
  }

  protected override acquire(): void {
    if (!this.src) return this.missing('src');
    try {
      new URL(this.src, document.baseURI);
    } catch {
      return this.halt('invalid-url', `"${this.src}" is not a URL.`);
    }
    // The hub answers another rewind 400 on every try: told once here instead.
    if (
      !['text', 'json'].includes(this.type) ||
      !(Number.isSafeInteger(this.rewind) && this.rewind >= 0)
    ) {
      return this.halt('invalid-attribute', `Bad type="${this.type}" or rewind="${this.rewind}".`);
    }
    this.etag = this.lastModified = '';
    this.cursor = this.startId ?? '';
    this.lastBody = undefined;
    this.opened = false;
    document.addEventListener('visibilitychange', this.onVisibility);
    this.start();
  }

  protected override release(): void {
    super.release();
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.stopPolling();
    this.reconnector.cancel();
    if (this.opened) this.emit(new RealtimeCloseEvent(false));
    this.opened = false;
  }

  protected override suspend(): void {
    this.stopPolling();
    // Back from the cache it opens again, with `open`, like the other feeds.
    this.opened = false;
  }

  private stopPolling(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  private get paused(): boolean {
    // Shared feeds keep polling: the leading tab may be hidden while others are not.
    return !this.pollHidden && !this.shared && document.visibilityState === 'hidden';
  }

  protected override connect(): void {
    if (this.inFlight || this.following) return;
    clearTimeout(this.timer);
    if (this.paused) return this.setState('paused');
    if (!navigator.onLine) return this.reconnector.waitForOnline();
    if (!this.opened) this.beginAttempt();
    const controller = (this.inFlight = new AbortController());
    import('./internal/poll-request.js').then(
      ({ pollRequest }) => pollRequest(this as never, controller),
      (cause: unknown) => {
        if (controller !== this.inFlight) return;
        this.inFlight = undefined;
        if (this.lost('network', 'The connection code did not load.', { cause }))
          this.settleRetry(this.scheduleRetry());
      },
    );
  }

  /** The next poll in `delay` ms (after an answer: `internal/poll-request.ts`). */
  protected schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private readonly onVisibility = (): void => {
    if (this.paused) {
      this.stopPolling();
      this.setState('paused');
    } else if (this.state === 'paused') {
      this.setState(this.opened ? 'open' : 'connecting');
      this.connect();
    }
  };
}

export interface PollFeedElement<In = unknown> {
  addEventListener: TypedEventTarget<PollFeedEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<PollFeedEventMap<In>>['removeEventListener'];
}

import type { PropertyDeclarations } from '@lit/reactive-element';
import type { TypedEventTarget } from './internal/realtime-element.js';
import { RetryingElement, retryAfterMs } from './internal/retrying-element.js';
import { hubErrorCode } from './internal/hub-refusal.js';
import {
  RealtimeCloseEvent,
  RealtimeMessageEvent,
  ResetEvent,
  type RealtimeEventMap,
  type HubMessageEvent,
} from './internal/events.js';

export interface PollFeedEventMap<In = unknown> extends RealtimeEventMap {
  message: HubMessageEvent<In>;
  reset: ResetEvent;
  close: RealtimeCloseEvent;
}

interface HubPoll {
  events: { id: string; topic: string; data: unknown }[];
  cursor: string;
  reset?: { reason: string };
}

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
 * @attr {string} last-event-id - Long polling: start from this cursor.
 * @attr {number} retry-min - Smallest reconnect delay after an error, ms (full jitter backoff).
 * @attr {number} retry-max - Largest reconnect delay, ms (a server's `Retry-After` or `retry:` may exceed it).
 * @attr {number} max-retries - Consecutive failed attempts before giving up with `retries-exhausted` (default: never).
 * @attr {boolean} disabled - Keeps it stopped.
 * @attr {string} state - `connecting`, `open`, `paused` (hidden tab), `closed`, `error`.
 *
 * @fires {HubMessageEvent} message - New content (short), or each hub event (long). Carries `data`, `origin`; long polling also `lastEventId`, `topic`, `id`.
 * @fires {Event} open - The first poll succeeded.
 * @fires {ResetEvent} reset - Long polling: the hub could not resume from the cursor. Carries `reason`, `lastEventId`.
 * @fires {RealtimeErrorEvent} error - `missing-src`, `invalid-url`, `invalid-attribute`; `forbidden-origin` (the hub refuses this page's origin: final); `http-status` (with `status`; retried with backoff, honouring `Retry-After`); `network` (retried); `parse-error` (`raw`; polling goes on); `retries-exhausted`. Carries `code`, `message`, `status`, `raw`.
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class PollFeedElement<In = unknown> extends RetryingElement<PollFeedEventMap<In>> {
  static override defaultTag = 'poll-feed';

  static override properties: PropertyDeclarations = {
    src: { reflect: true },
    interval: { type: Number },
    type: { reflect: true },
    long: { type: Boolean, reflect: true },
    pollHidden: { type: Boolean, attribute: 'poll-hidden' },
    withCredentials: { type: Boolean, attribute: 'with-credentials' },
    startId: { attribute: 'last-event-id' },
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
  type: 'text' | 'json' = 'text';
  long = false;
  pollHidden = false;
  withCredentials = false;
  /** @internal The `last-event-id` attribute: long polling starts from this cursor. */
  startId: string | null = null;

  private inFlight?: AbortController;
  private timer?: ReturnType<typeof setTimeout>;
  private etag = '';
  private lastModified = '';
  private lastBody?: string;
  private opened = false;

  /** Long polling: the hub cursor of the last event received, sent with every poll. */
  get lastEventId(): string {
    return this.cursor;
  }

  /** Polls now (a poll already in flight is not doubled). */
  poll(): void {
    if (this.state === 'error' || this.state === 'closed' || !this.isConnected) return;
    this.connect();
  }

  protected override acquire(): void {
    if (!this.src) return this.fail('missing-src', `<${this.localName}> needs a src attribute.`);
    try {
      new URL(this.src, document.baseURI);
    } catch {
      this.setState('error');
      return this.fail('invalid-url', `"${this.src}" is not a URL.`);
    }
    if (!['text', 'json'].includes(this.type)) {
      this.setState('error');
      return this.fail('invalid-attribute', `Bad type="${this.type}".`);
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
    void this.request();
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private async request(): Promise<void> {
    const controller = new AbortController();
    this.inFlight = controller;
    const url = new URL(this.src, document.baseURI);
    const headers: Record<string, string> = {};
    if (this.long) {
      if (this.cursor) url.searchParams.set('since', this.cursor);
    } else {
      if (this.etag) headers['If-None-Match'] = this.etag;
      if (this.lastModified) headers['If-Modified-Since'] = this.lastModified;
    }
    let response: Response;
    let body: string;
    try {
      response = await fetch(url, {
        headers,
        credentials: this.withCredentials ? 'include' : 'same-origin',
        signal: controller.signal,
        cache: 'no-store',
      });
      body = response.status === 304 ? '' : await response.text();
    } catch (error) {
      if (controller.signal.aborted) return;
      this.inFlight = undefined;
      this.fail('network', `The poll failed: ${(error as Error).message}`, { cause: error });
      return this.settleRetry(this.scheduleRetry());
    }
    this.inFlight = undefined;
    if (response.status >= 400 || (response.status < 200 && response.status !== 304)) {
      const { status } = response;
      if (status === 403 && hubErrorCode(body) === 'forbidden-origin') {
        // Final: retrying cannot help until the hub allows this page's origin.
        this.setState('error');
        return this.fail(
          'forbidden-origin',
          `The hub does not allow the origin ${location.origin}.`,
          {
            status,
          },
        );
      }
      this.fail('http-status', `The server answered ${status}.`, { status });
      return this.settleRetry(
        this.scheduleRetry(
          retryAfterMs(response.headers.get('Retry-After'), response.headers.get('Date')),
        ),
      );
    }
    if (!this.opened) {
      this.opened = true;
      this.setState('open');
      this.reconnector.opened();
      this.emit(new Event('open'));
      if (this.superseded) return; // an open listener changed course: no delivery, no next poll
    }
    if (this.long) this.receiveHub(body);
    else this.receiveContent(response, body);
    if (this.isConnected && !this.inFlight && !this.superseded) {
      this.schedule(this.interval ?? (this.long ? 0 : 5000));
    }
  }

  private receiveContent(response: Response, body: string): void {
    if (response.status === 304) return;
    this.etag = response.headers.get('ETag') ?? '';
    this.lastModified = response.headers.get('Last-Modified') ?? '';
    if (body === this.lastBody) return;
    this.lastBody = body;
    let data: unknown = body;
    if (this.type === 'json') {
      try {
        data = JSON.parse(body);
      } catch (error) {
        return this.fail('parse-error', `The body is not JSON: ${(error as Error).message}`, {
          raw: body,
        });
      }
    }
    this.emit(
      new RealtimeMessageEvent({
        data,
        origin: new URL(response.url || this.src, document.baseURI).origin,
      }),
    );
  }

  private receiveHub(body: string): void {
    let poll: HubPoll;
    try {
      poll = JSON.parse(body);
    } catch (error) {
      return this.fail('parse-error', `The poll answer is not JSON: ${(error as Error).message}`, {
        raw: body,
      });
    }
    if (poll.reset) this.emit(new ResetEvent(poll.reset.reason, poll.cursor));
    for (const event of poll.events ?? []) {
      // A listener closed or re-opened the feed: the cursor stays at the last event delivered.
      if (this.superseded) return;
      this.cursor = event.id;
      this.emit(
        new RealtimeMessageEvent({
          data: event.data,
          lastEventId: event.id,
          topic: event.topic,
          id: event.id,
        }),
      );
    }
    if (poll.cursor) this.cursor = poll.cursor;
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

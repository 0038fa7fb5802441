import type { PropertyDeclarations } from '@lit/reactive-element';
import type { TypedEventTarget } from './internal/realtime-element.js';
import { RetryingElement } from './internal/retrying-element.js';
import {
  RealtimeCloseEvent,
  RealtimeMessageEvent,
  type RealtimeEventMap,
  type HubMessageEvent,
  type ResetEvent,
} from './internal/events.js';
import { closeErrors, exceedsBytes, helloTimeout, type HubLimits } from './internal/protocol.js';

type HubClient = typeof import('./internal/hub-client.js');

export interface SocketRelayEventMap<In = unknown> extends RealtimeEventMap {
  message: HubMessageEvent<In>;
  close: RealtimeCloseEvent;
  reset: ResetEvent;
  authrefresh: Event;
  presencechange: PresenceChangeEvent;
}

/**
 * Hub mode, a presence topic (the hub's `presence` option) changed: `action` `snapshot` (the
 * members on every (re)subscribe), `join` (`user`'s first connection anywhere, with its `info`)
 * or `leave` (its last one gone). `members` is the topic's entry of `presence` after it.
 */
export interface PresenceChangeEvent extends Event {
  readonly topic: string;
  readonly action: 'snapshot' | 'join' | 'leave';
  /** With `join` and `leave`. */
  readonly user?: string;
  /** With `join`: what `authorize` returned as the user's `info`. */
  readonly info?: unknown;
  readonly members: ReadonlyMap<string, unknown>;
}

type AuthSource = string | (() => string | Promise<string>);
type Outgoing = string | ArrayBufferLike | Blob | ArrayBufferView;
interface Pending {
  frame: Outgoing;
  ref?: number;
  /** Hub mode: the data's JSON (its size is checked against the hub's `maxPayload`). */
  json?: string;
  /** Shared mode: tells the tab that sent it that the hub has it (or why not). */
  acked?: (id?: string, error?: string) => void;
}

/**
 * WebSocket messaging through the hub (topics, resume, acknowledged sends) or to any WebSocket
 * server (`raw`), resilient by default: sends queue while the socket is down, reconnects back
 * off with jitter, a heartbeat replaces dead connections, and the hub replays what was missed.
 *
 * @summary Tab ⇄ server ⇄ tabs over WebSocket.
 * @tagname socket-relay
 *
 * @attr {string} src - `ws:`/`wss:` URL, or a relative or `http(s):` URL mapped to the page's WebSocket origin (required).
 * @attr {string} topic - Hub mode: space-separated topics, subscribed on every (re)connect. Changing it re-subscribes.
 * @attr {boolean} raw - A plain WebSocket to any server: no hub protocol.
 * @attr {'text' | 'json' | 'binary'} type - Raw mode: how messages are read and sent. Hub messages are always JSON values.
 * @attr {string} protocols - Space-separated subprotocols.
 * @attr {boolean} echo - Hub mode: also receive your own sends.
 * @attr {string} last-event-id - Hub mode: resume from this cursor while the element has none of its own (e.g. one rendered with `hub.history()`).
 * @attr {number} rewind - Hub mode: without a cursor, subscribe with the last N events of the topics first; a whole number ≥ 0, another value is `invalid-attribute`.
 * @attr {number} queue-limit - Sends held while not open; past it `send` returns `false` and fires `queue-full`.
 * @attr {number} retry-min - Smallest reconnect delay after an error, ms (full jitter backoff).
 * @attr {number} retry-max - Largest reconnect delay, ms (a server's `Retry-After` or `retry:` may exceed it).
 * @attr {number} max-retries - Consecutive failed attempts before giving up with `retries-exhausted` (default: never).
 * @attr {number} connect-timeout - A socket not open by then is replaced (`timeout`).
 * @attr {number} heartbeat-interval - Ping interval: hub mode always, raw mode with `ping-message`. `0` disables. Any incoming message counts as life.
 * @attr {number} heartbeat-timeout - No message this long after a ping → the connection is dead and replaced.
 * @attr {string} ping-message - Raw mode: the text sent as a ping (an identical incoming text is not delivered).
 * @attr {string} stop-codes - Close codes that stop reconnecting (policy violation, unauthorized, forbidden origin).
 * @attr {boolean} disabled - Keeps the socket closed.
 * @attr {string} state - `connecting`, `open`, `paused` (page in the back/forward cache), `closed`, `error`.
 *
 * @fires {HubMessageEvent} message - A message arrived. Carries `data`; hub mode also `topic`, `id` (= `lastEventId`).
 * @fires {Event} open - Connected (hub mode: after the hub's `hello` — or 2 s without one, an older hub — the `auth` frame and the subscription are sent; queued sends follow).
 * @fires {RealtimeCloseEvent} close - An open connection ended. Carries `code`, `reason`, `wasClean`, `willReconnect`.
 * @fires {Event} authrefresh - Hub mode: `refresh` renewed the credentials (the hub closed with 4401, or said they expire); a new `auth` frame follows, or a reconnect at once.
 * @fires {PresenceChangeEvent} presencechange - Hub mode, a presence topic (the hub's `presence` option): `action` `snapshot` (on every subscribe), `join` or `leave`; carries `topic`, `action`, `user`, `info`, `members` (the topic's entry of `presence`, already updated).
 * @fires {ResetEvent} reset - The hub could not resume from the last id (hub restarted, history too short). Carries `reason`, `lastEventId`, `topics` (those that missed events).
 * @fires {RealtimeErrorEvent} error - `code`: `missing-src`, `invalid-url`, `invalid-attribute`, `network`, `timeout`, `heartbeat-timeout`, `queue-full`, `too-large`, `unavailable`, `unauthorized`, `forbidden-origin`, `policy`, `rate-limited`, `auth-failed`, `forbidden`, `bad-topic`, `bad-data`, `too-many-topics`, `presence-full`, `bad-frame`, `parse-error`, `retries-exhausted`, `send-failed`, `unsupported` (meanings and what follows: Error codes below).
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class SocketRelayElement<In = unknown, Out = In> extends RetryingElement<
  SocketRelayEventMap<In>
> {
  static override defaultTag = 'socket-relay';

  static override properties: PropertyDeclarations = {
    src: { reflect: true },
    topic: { reflect: true },
    raw: { type: Boolean, reflect: true },
    type: { reflect: true },
    protocols: {},
    echo: { type: Boolean, reflect: true },
    queueLimit: { type: Number, attribute: 'queue-limit' },
    connectTimeout: { type: Number, attribute: 'connect-timeout' },
    heartbeatInterval: { type: Number, attribute: 'heartbeat-interval' },
    heartbeatTimeout: { type: Number, attribute: 'heartbeat-timeout' },
    pingMessage: { attribute: 'ping-message' },
    stopCodes: { attribute: 'stop-codes' },
    startId: { attribute: 'last-event-id' },
    rewind: { type: Number },
  };

  protected static override reopenOn = [
    'disabled',
    'src',
    'topic',
    'raw',
    'protocols',
    'type',
    'shared',
  ];

  src = '';
  topic = '';
  raw = false;
  type: 'text' | 'json' | 'binary' = 'text';
  protocols = '';
  echo = false;
  queueLimit = 1000;
  connectTimeout = 10_000;
  heartbeatInterval = 25_000;
  heartbeatTimeout = 10_000;
  pingMessage = '';
  stopCodes = '1008 4401 4403';
  /** @internal The `last-event-id` attribute. */
  startId = '';
  /** Hub mode: the last N events first, while there is no cursor (a whole number ≥ 0; another value is `invalid-attribute`). */
  rewind = 0;
  /**
   * Hub mode: a token, or a function called before every connect and when the hub says the
   * credentials expire (fresh tokens), sent in the `auth` frame before subscribing.
   */
  auth: AuthSource | null = null;
  /**
   * Hub mode: who is subscribed to each presence topic (the hub's `presence` option), topic →
   * user → `info`, as the hub's last snapshot and the joins and leaves since; updated before each
   * `presencechange`. Kept through a reconnect until the new snapshot replaces it.
   */
  readonly presence: Map<string, Map<string, unknown>> = new Map();

  /**
   * Hub mode: the publisher id the hub gave this element (its `hello`), presented again on
   * every reconnect so sends keep their identity: repeats are dropped, own sends skipped.
   * Never sent to anyone but the hub.
   */
  protected publisher = '';
  /** Hub mode: the limits of the hub's last `hello`; unknown (an older hub) until then. */
  protected limits?: HubLimits;
  /** This connection's `auth` token, sent once the hub's hello (or the wait for it) is over. */
  protected token?: string;
  protected greeted = false;
  /** Pacing: frames that may be sent now (a token bucket under the hub's announced rate). */
  protected tokens = 0;
  protected refilled = 0;
  /** The hub protocol client, a lazy chunk loaded on the first hub-mode connect. */
  private hub?: HubClient;
  private flushTimer?: ReturnType<typeof setTimeout>;
  private socket?: WebSocket;
  private queue: Pending[] = [];
  /** Hub publishes written but not yet acknowledged: re-sent first after a reconnect. */
  private unacked: Pending[] = [];
  private nextRef = 1;
  private stopped = false;
  private attempt = 0;
  private timers: ReturnType<typeof setTimeout>[] = [];
  /** `performance.now()` of the last frame: a wall-clock step neither kills nor keeps a socket. */
  private lastActivity = 0;

  /** As `WebSocket.readyState`: 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    return this.state === 'open' ? 1 : this.state === 'connecting' ? 0 : 3;
  }

  /** Bytes the open socket has not sent yet. */
  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  /** Sends waiting for the connection, or (hub mode) for the hub's acknowledgement. */
  get queued(): number {
    return this.queue.length + this.unacked.length;
  }

  /** Hub mode: the id of the last message, resumed from on every reconnect. */
  get lastEventId(): string {
    return this.cursor;
  }

  /**
   * Hub mode: publishes `data` (any JSON value) to `options.topic` (default: the first of
   * `topic`). Raw mode: sends a string, `Blob`, `ArrayBuffer` or typed array (`type="json"`: any
   * JSON value). Returns `true` when sent or queued, `false` (and fires `queue-full`) when the
   * queue is full. Throws `TypeError` for data it cannot send (and hub mode without a topic),
   * `RangeError` for data larger than the hub's `maxPayload` (once its `hello` told it; a send
   * queued before that gets a `too-large` error event instead), `InvalidStateError` on a
   * removed, disabled or `close()`d element.
   *
   * @param options.topic - Hub mode: the topic to publish to (default: the first of `topic`).
   * @throws {TypeError} when the data cannot be serialised or hub mode has no topic.
   * @throws {RangeError} hub mode: the data's JSON is larger than the hub's `maxPayload` bytes.
   * @throws {DOMException} `InvalidStateError` when the element is removed, disabled or `close()`d.
   */
  send(data: Out, options: { topic?: string } = {}): boolean {
    if (!this.isConnected || this.disabled || this.stopped) {
      throw new DOMException(
        `<${this.localName}> is ${this.isConnected ? 'closed' : 'not in the document'}.`,
        'InvalidStateError',
      );
    }
    // Built in every tab, so data that cannot be sent throws here, in the sender's tab (a shared
    // send is built again by the leading tab, with its own ref).
    const pending = this.pending(data, options);
    // Shared: the send as built now goes to the leader (the shared code takes its data from
    // the JSON or the copied bytes), not the caller's object, which may change meanwhile.
    return this.shared ? this.shareSend(pending, options) : this.enqueue(pending);
  }

  /**
   * Shared mode, leading: sends for a tab and reports the hub's acknowledgement. `msg` is the
   * tab's own id of the message, the same through every leader, so the hub drops repeats.
   */
  protected sendFor(
    data: unknown,
    options: { topic?: string },
    acked: Pending['acked'],
    msg?: string,
  ): boolean {
    const pending = this.pending(data, options, msg);
    pending.acked = acked;
    return this.enqueue(pending);
  }

  private pending(data: unknown, options: { topic?: string }, msg?: string): Pending {
    let pending: Pending;
    if (this.raw) {
      if (
        this.type !== 'json' &&
        typeof data !== 'string' &&
        !(data instanceof Blob) &&
        !ArrayBuffer.isView(data) &&
        !(data instanceof ArrayBuffer)
      ) {
        throw new TypeError('Raw sends take a string, Blob, ArrayBuffer or typed array.');
      }
      // Taken as it is at the call: a send queued until open is not changed by later writes to
      // its buffer (strings and Blobs cannot change: their clones are cheap).
      pending = {
        frame: this.type === 'json' ? this.json(data) : structuredClone(data as Outgoing),
      };
    } else {
      const topic = options.topic ?? this.topics()[0];
      if (!topic) throw new TypeError(`<${this.localName}> needs a topic to publish to.`);
      const ref = this.nextRef++;
      // Shared: every tab's sends come back to the one socket; each tab drops its own echo.
      const echo = this.echo || this.shared;
      const json = this.json(data);
      if (this.over(json))
        throw new RangeError(`The data is over ${this.limits!.maxPayload} bytes.`);
      // The message id (publisher id + `msg`) makes a re-send after a reconnect idempotent.
      const head = this.json({ type: 'publish', topic, echo, ref, msg: msg ?? String(ref) });
      pending = { frame: `${head.slice(0, -1)},"data":${json}}`, ref, json };
    }
    return pending;
  }

  private over(json?: string): boolean {
    return !!this.limits && json !== undefined && exceedsBytes(json, this.limits.maxPayload);
  }

  private enqueue(pending: Pending): boolean {
    if (this.queue.length >= this.queueLimit) {
      this.fail('queue-full', `${this.queueLimit} sends are waiting: not queued.`);
      return false;
    }
    this.queue.push(pending);
    this.flush();
    return true;
  }

  /** Takes one frame from the pacing bucket (the hub client's). Without a hello nothing is paced. */
  private spend(): boolean {
    const limits = this.limits;
    return !limits || this.raw || this.hub!.spend(this as never, limits);
  }

  /** Sends queued frames while the pacing allows, the rest once the bucket has refilled. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    while (this.queue.length && this.state === 'open' && this.socket) {
      const pending = this.queue[0]!;
      // Queued before the hub's limit was known: refused here, once, and never sent.
      if (this.over(pending.json)) {
        this.queue.shift();
        this.tooLarge(pending);
      } else if (this.spend()) {
        this.queue.shift();
        this.write(pending);
      } else {
        const wait = this.hub!.refillWait(this as never, this.limits!);
        this.flushTimer = setTimeout(() => this.flush(), wait);
        return;
      }
    }
  }

  private tooLarge(pending: Pending): void {
    pending.acked?.(undefined, 'too-large');
    this.fail('too-large', 'A message over the size limit was dropped.', {
      raw: pending.json ?? (pending.frame as string),
    });
  }

  /**
   * Closes the socket and stops reconnecting, like `WebSocket.close()`. Like browsers, only 1000
   * or 3000–4999 (`InvalidAccessError` otherwise).
   *
   * @throws {DOMException} `InvalidAccessError` for a code other than 1000 or 3000–4999.
   */
  close(code = 1000, reason = ''): void {
    if (code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(
        `Close code ${code} is not 1000 or in 3000–4999.`,
        'InvalidAccessError',
      );
    }
    this.intervene();
    this.unshare();
    this.stopped = true;
    this.reconnector.cancel();
    this.shutdown(code, reason);
    this.setState('closed');
  }

  /** Connects again with a fresh backoff (after `close()`, a stop code or exhausted retries). */
  reconnect(): void {
    this.intervene();
    if (!this.isConnected || this.disabled || !this.src) return;
    this.stopped = false;
    // The page acted (signed in again): a refusal now is a new one, `refresh` gets its turn.
    this.freshStart();
    this.start();
  }

  protected override acquire(): void {
    this.stopped = false;
    if (!this.src) return this.missing('src');
    if (!this.url()) {
      return this.halt('invalid-url', `"${this.src}" is not a URL.`);
    }
    // The hub refuses another rewind (bad-frame) and never subscribes: told here instead.
    if (
      !['text', 'json', 'binary'].includes(this.type) ||
      !(Number.isSafeInteger(this.rewind) && this.rewind >= 0)
    ) {
      return this.halt('invalid-attribute', `Bad type="${this.type}" or rewind="${this.rewind}".`);
    }
    this.start();
  }

  protected override release(): void {
    super.release();
    this.reconnector.cancel();
    this.shutdown(1000, '');
    // Shared: each tab keeps its own unacknowledged sends and gives them to the next leader.
    if (this.shared) this.queue = this.unacked = [];
  }

  protected override suspend(): void {
    // Unacknowledged sends go back to the queue and are sent again after the restore.
    this.shutdown(1000, '');
  }

  private topics(): string[] {
    return this.topic.split(/\s+/).filter(Boolean);
  }

  private url(): URL | undefined {
    try {
      const url = new URL(this.src, document.baseURI);
      if (url.protocol === 'http:' || url.protocol === 'https:')
        url.protocol = url.protocol.replace('http', 'ws');
      return url.protocol === 'ws:' || url.protocol === 'wss:' ? url : undefined;
    } catch {
      return undefined;
    }
  }

  private json(data: unknown): string {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('The data is not a JSON value.');
    return text;
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Closes the current socket (if any) without scheduling anything. */
  private shutdown(code: number, reason: string): void {
    const wasOpen = this.state === 'open';
    if (!this.detach(code, reason)) return;
    this.requeueUnacked();
    if (wasOpen) this.emit(new RealtimeCloseEvent(false, code, reason, true));
  }

  /** Lets go of the socket (closing it unless it is closed already); returns it. */
  private detach(code?: number, reason?: string): WebSocket | undefined {
    this.attempt++;
    this.clearTimers();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      if (socket.readyState < 2) socket.close(code, reason);
    }
    return socket;
  }

  private requeueUnacked(): void {
    this.queue.unshift(...this.unacked);
    this.unacked = [];
  }

  protected override async connect(): Promise<void> {
    if (this.following) return;
    this.shutdown(1000, '');
    this.beginAttempt();
    const attempt = this.attempt;
    let token: string | undefined;
    try {
      token = typeof this.auth === 'function' ? await this.auth() : (this.auth ?? undefined);
    } catch (cause) {
      // A token fetch the navigation cut is the navigation's doing too (tried again if it stays).
      if (
        this.lost('auth-failed', `The auth function threw: ${(cause as Error).message}`, { cause })
      )
        this.settleRetry(this.scheduleRetry());
      return;
    }
    if (attempt !== this.attempt) return;
    if (!this.raw && !this.hub) {
      try {
        this.hub = await import('./internal/hub-client.js');
      } catch (cause) {
        if (
          attempt === this.attempt &&
          this.lost('network', 'The connection code did not load.', { cause })
        )
          this.settleRetry(this.scheduleRetry());
        return;
      }
      if (attempt !== this.attempt) return;
    }
    const protocols = this.protocols.split(/\s+/).filter(Boolean);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url()!, protocols);
    } catch (error) {
      // Repeated or malformed subprotocols throw a SyntaxError here.
      return this.halt('invalid-attribute', `Bad protocols="${this.protocols}".`, { cause: error });
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.timers.push(
      setTimeout(
        () =>
          this.lost('timeout', `Not connected after ${this.connectTimeout} ms.`) &&
          !this.superseded &&
          this.dropped(4000, 'connect timeout'),
        this.connectTimeout,
      ),
    );
    this.greeted = false;
    this.token = token;
    socket.onopen = () => {
      this.clearTimers();
      if (this.raw) return this.opened();
      // The hub's hello comes first; an older hub sends none.
      this.timers.push(setTimeout(() => this.hub!.greet(this as never), helloTimeout));
    };
    socket.onmessage = (event) => this.receive(event.data);
    // Firefox closes it (1001) as a navigation starts, before pagehide: paused quietly then. A
    // close that means something (a refusal, a policy) is the server's, whenever it comes.
    socket.onclose = (event) =>
      (closeErrors.has(event.code) || this.lost()) &&
      this.dropped(event.code, event.reason, event.wasClean);
    // WebKit (2.50) fires an error and no close when a connection is refused before it began
    // (a blocked port), leaving readyState at CONNECTING: that error is the drop (1006).
    socket.onerror = () => socket.readyState || (this.lost() && this.dropped(1006, ''));
  }

  /** A control frame: sent at once, but counted against the pacing bucket. */
  private sendControl(frame: string): void {
    if (!this.spend()) this.tokens--;
    this.socket?.send(frame);
  }

  private opened(): void {
    this.setState('open');
    // A statechange or open listener that closed the relay wins: no heartbeat, no flush.
    if (this.superseded) return;
    this.reconnector.opened();
    this.lastActivity = performance.now();
    this.armHeartbeat();
    this.emit(new Event('open'));
    if (this.superseded) return;
    this.flush();
  }

  private write(pending: Pending): void {
    this.socket!.send(pending.frame as string);
    // Refs count from 1: a send without one is not acknowledged.
    if (pending.ref) this.unacked.push(pending);
    else pending.acked?.();
  }

  /** The socket closed on its own (or timed out): report, then reconnect unless told to stop. */
  private dropped(code: number, reason: string, wasClean = false): void {
    const wasOpen = this.state === 'open';
    this.detach();
    const meaning = closeErrors.get(code);
    // Expired (4440), or refused (4401) with a `refresh` not tried yet: renewed below, not an
    // error (a page that signs in again on `unauthorized` must not when `refresh` copes).
    const renewing = code === 4440 || (code === 4401 && this.refresh && !this.renewed);
    if (code === 1009) {
      // Refused as too large: in hub mode the largest unacknowledged send, never sent again.
      if (this.hub && !this.raw) this.hub.refuseLargest(this as never);
      else this.fail('too-large', 'The server refused a message as too large (1009).');
    } else if (meaning && !renewing) {
      this.fail(meaning, `The server closed the connection: ${code} ${reason}`.trim());
    } else if (!wasOpen && code !== 4000) {
      this.fail('network', 'The WebSocket connection failed.');
    }
    this.requeueUnacked();
    if (this.superseded) return; // an error listener already chose (close(), reconnect(), …)
    if (renewing) {
      const attempt = this.attempt;
      if (wasOpen) this.emit(new RealtimeCloseEvent(true, code, reason, wasClean));
      return this.renewThen(code > 4401, () => attempt !== this.attempt || this.stopped);
    }
    const stop = this.stopCodes.split(/\s+/).includes(String(code));
    const delay = stop ? -1 : this.scheduleRetry();
    if (wasOpen) this.emit(new RealtimeCloseEvent(delay >= 0, code, reason, wasClean));
    if (stop) this.setState('error');
    else this.settleRetry(delay);
  }

  private armHeartbeat(): void {
    const interval = this.heartbeatInterval;
    const ping = this.raw ? this.pingMessage : this.json({ type: 'ping' });
    if (!(interval > 0) || !ping) return;
    const tick = () => {
      if (performance.now() - this.lastActivity > interval + this.heartbeatTimeout) {
        if (
          this.lost(
            'heartbeat-timeout',
            `Nothing received for ${this.heartbeatTimeout} ms after a ping; reconnecting.`,
          ) &&
          !this.superseded
        )
          this.dropped(4000, 'heartbeat timeout');
        return;
      }
      if (this.socket) this.sendControl(ping);
      this.timers.push(setTimeout(tick, Math.min(interval, this.heartbeatTimeout)));
    };
    this.timers.push(setTimeout(tick, interval));
  }

  private receive(raw: unknown): void {
    this.lastActivity = performance.now();
    if (this.raw) {
      if (raw === this.pingMessage && raw) return;
      let data = raw;
      if (this.type === 'json' && typeof raw === 'string') {
        try {
          data = JSON.parse(raw);
        } catch (error) {
          return this.fail('parse-error', `A message is not JSON: ${(error as Error).message}`, {
            raw,
          });
        }
      }
      return void this.emit(new RealtimeMessageEvent({ data }));
    }
    this.hub!.receive(this as never, raw);
  }
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- merges with the class: the same parameters
export interface SocketRelayElement<In = unknown, Out = In> {
  addEventListener: TypedEventTarget<SocketRelayEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<SocketRelayEventMap<In>>['removeEventListener'];
}

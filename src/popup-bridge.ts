import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement, type TypedEventTarget } from './internal/realtime-element.js';
import {
  RealtimeCloseEvent,
  RealtimeMessageEvent,
  type RealtimeEventMap,
} from './internal/events.js';

export interface PopupBridgeEventMap<In = unknown> extends RealtimeEventMap {
  message: PopupMessageEvent<In>;
  close: RealtimeCloseEvent;
}

/** A `message` from the other window; `reply` is there when the other side used `request()`. */
export type PopupMessageEvent<T = unknown> = RealtimeMessageEvent<T> & {
  reply?: (value: unknown) => void;
};

/** Every bridge message travels in this envelope; anything else on `window` is ignored. */
interface Envelope {
  rtBridge: 1;
  kind: 'hello' | 'welcome' | 'data' | 'request' | 'reply' | 'bye';
  /** The sender's random session id, learnt in the handshake and checked on every later message. */
  from?: string;
  id?: number;
  data?: unknown;
}

/** The origin a `target-origin` value names, or `''` when it names none. */
function originOf(value: string): string {
  try {
    const { origin } = new URL(value);
    return origin === 'null' ? '' : origin;
  } catch {
    return '';
  }
}

const isEnvelope = (value: unknown): value is Envelope =>
  !!value && typeof value === 'object' && (value as Envelope).rtBridge === 1;

function postTo(peer: Window, envelope: Envelope, origin: string): void {
  try {
    // An opaque origin (a sandboxed frame, a data: URL) cannot be named as a target: `*` is the
    // only way to reach it, and only when `target-origin` allows "null" (with a warning).
    peer.postMessage(envelope, origin === 'null' ? '*' : origin);
  } catch (error) {
    // Re-thrown from this window's realm: the other window's DOMException fails `instanceof`.
    if ((error as DOMException).name === 'DataCloneError') {
      throw new DOMException((error as DOMException).message, 'DataCloneError');
    }
    // A closed window, or an origin that is not a valid URL: nothing to deliver to.
  }
}

/** The request bookkeeping: loaded with the first `request()`. */
type Requests = typeof import('./internal/bridge-requests.js');

export { BridgeRequestError } from './internal/bridge-requests.js';

/**
 * Safe window ⇄ window messaging over `postMessage`: the same tag in the opener (with `src`),
 * in the opened popup (talks to `window.opener`) and in an iframe (talks to `parent`). Messages
 * posted before the other side listens are queued and delivered after a handshake; only the
 * allowed origins *and* the bridged window are heard.
 *
 * @summary Window ⇄ window messaging with handshake and origin checks.
 * @tagname popup-bridge
 *
 * @attr {string} src - Opener side: the page `open()` opens.
 * @attr {string} name - Window name; `open()` re-uses a live window of that name.
 * @attr {string} features - `window.open` features.
 * @attr {string} for - Opener side: the id of an iframe of this page to bridge to.
 * @attr {string} target-origin - Allowed origins of the other window. `null` allows an opaque origin (a sandboxed iframe without `allow-same-origin`), which is posted to with `*` (a console warning says so).
 * @attr {number} queue-limit - Posts held until the handshake; past it `post` returns `false` (`queue-full`).
 * @attr {boolean} disabled - Keeps the bridge closed.
 * @attr {string} state - `connecting` (handshake pending), `open`, `closed`, `error`.
 *
 * @fires {PopupMessageEvent} message - The other window posted. Carries `data`, `origin`, `reply(value)` (requests only).
 * @fires {Event} open - Handshake complete; queued messages are flushed.
 * @fires {RealtimeCloseEvent} close - The other window closed (`false`), or navigated away / is reloading (`true`: a reload re-handshakes and returns to `open`). A window the user closes may first look like a reload (`true`); a final `close` with `false` follows as soon as it is found closed (within 100 ms). `close()`, removal and `disabled` end an open (or returning) bridge with `false` too. Carries `willReconnect`.
 * @fires {RealtimeErrorEvent} error - `code`: `blocked`, `no-opener`, `missing-target`, `queue-full`, `invalid-attribute` (a `target-origin` value that is no origin).
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class PopupBridgeElement<In = unknown, Out = In> extends RealtimeElement<
  PopupBridgeEventMap<In>
> {
  static override defaultTag = 'popup-bridge';

  static override properties: PropertyDeclarations = {
    src: { reflect: true },
    name: { reflect: true },
    features: {},
    for: {},
    targetOrigin: { attribute: 'target-origin' },
    queueLimit: { type: Number, attribute: 'queue-limit' },
  };

  protected static override reopenOn = ['disabled', 'for', 'targetOrigin'];

  src = '';
  name = '';
  features = '';
  for = '';
  targetOrigin = '';
  queueLimit = 1000;

  private peer?: Window | null;
  private peerOrigin = '';
  private queue: unknown[] = [];
  /** The request bookkeeping, loading or loaded; every use waits for it, in call order. */
  private asks?: Promise<Requests>;
  private nextId = 1;
  private helloTimer?: ReturnType<typeof setInterval>;
  private listening = false;
  private session = '';
  /** The origins `target-origin` allows, read when the bridge opens. */
  private allowed: string[] = [];
  private allowsAny = false;
  private peerSession = '';
  /** A `close` with `willReconnect: true` went out: the next end of the bridge is final. */
  private awaitingReturn = false;

  /**
   * Opens `src` in a popup (or focuses the live one of that name) and starts the handshake.
   * Returns the window, or `null` and an `error` `blocked`. Connecting the element or changing
   * attributes never opens a window: call it from a user gesture.
   */
  open(): Window | null {
    this.intervene();
    this.settle();
    if (!this.listening)
      throw new DOMException(`<${this.localName}> is not connected.`, 'InvalidStateError');
    if (this.peer && !this.peer.closed && this.src) {
      this.peer.focus();
      return this.peer;
    }
    let popup: Window | null | undefined;
    try {
      popup = window.open(this.src, this.name || '_blank', this.features || undefined);
    } catch {
      // Firefox throws InvalidAccessError where others return null (a sandbox without
      // allow-popups): blocked all the same.
    }
    if (!popup) {
      this.fail('blocked', 'The browser blocked the popup: call open() from a click or key press.');
      return null;
    }
    this.connectTo(popup);
    return popup;
  }

  /** Opener side: closes the popup (`open()` may open it again). Other side: ends the bridge. */
  close(): void {
    this.intervene();
    const peer = this.peer;
    const announce = this.endsConnection();
    this.sayBye();
    this.disconnectPeer('closed', 'The bridge was closed.');
    if (peer && this.src && !peer.closed) peer.close();
    this.setState('closed');
    if (announce) this.emit(new RealtimeCloseEvent(false));
  }

  /**
   * Sends anything structured clone accepts; queued until the handshake. Returns `false` (and
   * fires `queue-full`) when the queue is full. Throws `DataCloneError` at once for uncloneable
   * data (nothing queued), `InvalidStateError` when disabled or removed.
   *
   * @throws {DOMException} `DataCloneError` for data that cannot be cloned (nothing is queued);
   *   `InvalidStateError` when the element is disabled or removed.
   */
  post(data: Out): boolean {
    this.usable();
    return this.send({ rtBridge: 1, kind: 'data', data });
  }

  /**
   * Posts `data` and resolves with the other side's `event.reply(value)`. Rejects with a
   * `BridgeRequestError` whose `code` is `timeout` or `closed` (the window closed). A request
   * that rejects while still queued (before the handshake) is dropped: no window ever gets it.
   */
  request(data: Out, { timeout = 10_000 }: { timeout?: number } = {}): Promise<unknown> {
    this.usable();
    const since = performance.now();
    const id = this.nextId++;
    const envelope: Envelope = { rtBridge: 1, kind: 'request', id, data };
    // Sent (or queued) now, in order with post(); the reply comes in a later task, after the
    // bookkeeping (loaded on the first request) has registered it.
    const sent = this.send(envelope);
    return this.requests((r) =>
      sent
        ? r.track(this as never, id, envelope, timeout, since)
        : r.refuse('queue-full', 'The queue is full.'),
    );
  }

  /** Runs `use` with the request bookkeeping, after every earlier use. */
  private requests<T>(use: (requests: Requests) => T): Promise<Awaited<T>> {
    const asks = (this.asks ??= import('./internal/bridge-requests.js'));
    // A chunk that did not load is tried again by the next call.
    asks.catch(() => this.asks === asks && (this.asks = undefined));
    return asks.then(use) as Promise<Awaited<T>>;
  }

  protected override acquire(): void {
    const origins = this.targetOrigin.split(/\s+/).filter(Boolean);
    this.allowed = [];
    for (const each of origins.length ? origins : [location.origin]) {
      // Compared with `event.origin` as strings: `https://a.example/` must become `https://a.example`.
      const origin = each === '*' || each === 'null' ? each : originOf(each);
      if (!origin) {
        return this.halt(
          'invalid-attribute',
          `target-origin: "${each}" is not an origin, "*" or "null".`,
        );
      }
      this.allowed.push(origin);
    }
    this.allowsAny = this.allowed.includes('*');
    this.listening = true;
    // 128 random bits: the proof a window's `bye` is trusted by.
    this.session = crypto.getRandomValues(new Uint32Array(4)).join();
    window.addEventListener('message', this.onMessage);
    window.addEventListener('pagehide', this.onPageHide);
    if (this.allowsAny || this.allowed.includes('null')) {
      // Loaded only when warned (`internal/origin-warning.ts`).
      const [tag, any] = [this.localName, this.allowsAny];
      void import('./internal/origin-warning.js').then((m) => m.warnOrigin(tag, any));
    }
    if (this.for) {
      const frame = document.getElementById(this.for);
      if (!(frame instanceof HTMLIFrameElement) || !frame.contentWindow) {
        return this.halt('missing-target', `No iframe with id "${this.for}".`);
      }
      return this.connectTo(frame.contentWindow);
    }
    if (this.src) return; // the opener side waits for open()
    const peer = window.opener ?? (window.parent !== window ? window.parent : null);
    if (!peer) {
      return this.halt(
        'no-opener',
        'No opener: it used noopener, or a Cross-Origin-Opener-Policy header cut the link.',
      );
    }
    this.connectTo(peer);
  }

  protected override release(): void {
    if (!this.listening) return;
    this.listening = false;
    const announce = this.endsConnection();
    window.removeEventListener('message', this.onMessage);
    window.removeEventListener('pagehide', this.onPageHide);
    this.sayBye();
    this.disconnectPeer('closed', 'The bridge closed.');
    if (announce) this.emit(new RealtimeCloseEvent(false));
  }

  /**
   * Whether ending the bridge now must fire a final `close`: it was open, or its last `close`
   * promised a reconnect (`willReconnect: true`) that will not come now.
   */
  private endsConnection(): boolean {
    const announce = this.state === 'open' || this.awaitingReturn;
    this.awaitingReturn = false;
    return announce;
  }

  private connectTo(peer: Window): void {
    this.peer = peer;
    this.setState('connecting');
    clearInterval(this.helloTimer);
    // The opened window (popup, iframe) says hello until this side answers: a hello from here
    // could reach its initial about:blank, of the wrong origin, and the browser would log an
    // error for each one (Firefox as an uncaught error). This side only notices a closed popup.
    const tick = () => {
      if (this.peer?.closed) return this.peerGone(false);
      if (this.state == 'connecting' && !this.src && !this.for)
        this.postRaw({ rtBridge: 1, kind: 'hello' });
    };
    this.helloTimer = setInterval(tick, 100);
    tick();
  }

  /** Throws `DataCloneError` (nothing sent) for what structured clone cannot carry. */
  private postRaw(envelope: Envelope, origin = this.peerOrigin): void {
    const peer = this.peer;
    if (!peer) return;
    envelope.from = this.session;
    if (origin) return postTo(peer, envelope, origin);
    // Before the handshake the peer's origin is unknown: a targetOrigin that does not match
    // drops the message, so it is safe to try each allowed origin.
    for (const each of this.allowed) postTo(peer, envelope, each);
  }

  private send(envelope: Envelope): boolean {
    if (this.state === 'open' && !this.queue.length) {
      this.postRaw(envelope);
      return true;
    }
    if (this.queue.length >= this.queueLimit) {
      this.fail(
        'queue-full',
        `${this.queueLimit} messages are already waiting for the other window.`,
      );
      return false;
    }
    // A copy, so the message is what it was when posted; uncloneable data throws here.
    envelope.data = structuredClone(envelope.data);
    this.queue.push(envelope);
    return true;
  }

  private opened(origin: string): void {
    this.peerOrigin = origin;
    if (this.state === 'open') return;
    this.awaitingReturn = false;
    this.setState('open');
    this.emit(new Event('open'));
    if (this.superseded) return; // a listener closed the bridge: the queue stays unsent
    const waiting = this.queue as Envelope[];
    this.queue = [];
    for (const envelope of waiting) this.postRaw(envelope);
  }

  private readonly onMessage = (event: MessageEvent): void => {
    // Only the bridged window, and only from an allowed origin; anything else is ignored.
    if (!this.peer || !isEnvelope(event.data)) return;
    if (!this.allowsAny && !this.allowed.includes(event.origin)) return;
    const { kind, id, data, from } = event.data;
    // An unloading window's messages arrive with a null source: its `bye` is trusted by the
    // session id it proved in the handshake.
    if (event.source === null && kind === 'bye' && from && from === this.peerSession) {
      return this.peerGone(true);
    }
    if (event.source !== this.peer) return;
    if (kind === 'hello' || kind === 'welcome') {
      this.peerSession = from ?? '';
      if (kind === 'hello') this.postRaw({ rtBridge: 1, kind: 'welcome' }, event.origin);
      return this.opened(event.origin);
    }
    if (from !== this.peerSession) return;
    if (kind === 'bye') return this.peerGone(true);
    if (kind === 'reply') {
      if (this.asks) void this.requests((r) => r.settle(this as never, id!, data)).catch(() => {});
      return;
    }
    const message = new RealtimeMessageEvent({ data, origin: event.origin }) as PopupMessageEvent;
    if (kind === 'request') {
      // A window keeps its WindowProxy across reloads: only the session id tells the asking
      // document from the one that replaced it (which numbers its requests from 1 again).
      const peer = this.peer;
      const session = this.peerSession;
      let answered = false;
      message.reply = (value: unknown) => {
        if (answered || peer !== this.peer || session !== this.peerSession) return;
        answered = true;
        this.postRaw({ rtBridge: 1, kind: 'reply', id, data: value });
      };
    }
    this.emit(message);
  };

  /** The other window said bye (it unloads: it may come back) or was found closed. */
  private peerGone(mayReturn: boolean): void {
    const wasOpen = this.state === 'open';
    // The document that proved this session is gone: nothing it sent or asked is answered now.
    this.peerOrigin = this.peerSession = '';
    this.rejectRequests('closed', 'The other window closed.');
    if (mayReturn && !this.peer?.closed) {
      // A reload or a close: a `bye` cannot tell them apart. A reload says hello again; a
      // closed window is found closed by the hello timer, which then ends it for good.
      this.setState('connecting');
      if (wasOpen) {
        this.awaitingReturn = true;
        this.emit(new RealtimeCloseEvent(true));
      }
      return;
    }
    const announce = this.endsConnection();
    this.disconnectPeer('closed', 'The other window closed.');
    this.setState('closed');
    if (announce) this.emit(new RealtimeCloseEvent(false));
  }

  private disconnectPeer(code: string, message: string): void {
    clearInterval(this.helloTimer);
    this.helloTimer = undefined;
    this.rejectRequests(code, message);
    this.peer = undefined;
    this.peerOrigin = this.peerSession = '';
  }

  private rejectRequests(code: string, message: string): void {
    if (!this.asks) return;
    // Out of the queue now, before any later handshake could flush them: the callers see
    // them fail (`code`), so no window may ever get them.
    this.queue = (this.queue as Envelope[]).filter((envelope) => envelope.kind !== 'request');
    void this.requests((r) => r.rejectAll(this as never, code, message)).catch(() => {});
  }

  /**
   * A request the caller has seen reject must never reach a window later (the next popup, or
   * one that handshakes late): it would be acted on, and the caller's retry acted on again.
   * (Called by the request bookkeeping.)
   */
  protected unqueue(envelope: object): void {
    const at = this.queue.indexOf(envelope);
    if (at >= 0) this.queue.splice(at, 1);
  }

  private sayBye(): void {
    if (this.peer && this.state === 'open') this.postRaw({ rtBridge: 1, kind: 'bye' });
  }

  private readonly onPageHide = (): void => this.sayBye();
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- merges with the class: the same parameters
export interface PopupBridgeElement<In = unknown, Out = In> {
  addEventListener: TypedEventTarget<PopupBridgeEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<PopupBridgeEventMap<In>>['removeEventListener'];
}

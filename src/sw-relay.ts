import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement, type TypedEventTarget } from './internal/realtime-element.js';
import {
  RealtimeMessageEvent,
  type RealtimeEventMap,
  type SwRelayMessageEvent,
} from './internal/events.js';

export interface SwRelayEventMap<In = unknown> extends RealtimeEventMap {
  message: SwRelayMessageEvent<In>;
  update: Event;
}

export { RelayRequestError } from './internal/relay-requests.js';

/** The elements of this page by channel: the worker relays to other tabs, the page to itself. */
const local = new Map<string, Set<SwRelayElement>>();

/**
 * Messages between all tabs of a service worker's scope, relayed by the worker: registers the
 * shipped relay worker (or uses the page's own worker with `installRelay`), works on the first
 * load as well as later ones, and keeps messages queued across worker updates.
 *
 * @summary Tab → service worker → all tabs.
 * @tagname sw-relay
 *
 * @attr {string} name - The channel (required), as on `<tab-channel>`.
 * @attr {string} src - The worker script to register (same origin). Without it, the page's existing registration (`navigator.serviceWorker.ready`) is used.
 * @attr {string} scope - Registration scope.
 * @attr {boolean} echo - Also deliver this element's own posts to itself.
 * @attr {number} queue-limit - Posts held until a worker is active.
 * @attr {boolean} disabled - Keeps it closed.
 * @attr {string} state - `connecting`, `open`, `closed`, `error`.
 *
 * @fires {SwRelayMessageEvent} message - Another tab (or same-page element) posted on the channel. Carries `data`, `sender`, `origin`.
 * @fires {Event} open - A worker is active and relaying.
 * @fires {Event} update - A new worker version is installed and waiting; call `skipWaiting()` (or reload).
 * @fires {RealtimeErrorEvent} error - `code`: `missing-name`, `unsupported`, `register-failed`, `queue-full`, `message-lost` (back from the back/forward cache: posts relayed meanwhile that the worker no longer has; or more than `queue-limit` posts not acknowledged by the worker).
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class SwRelayElement<In = unknown, Out = In> extends RealtimeElement<SwRelayEventMap<In>> {
  static override defaultTag = 'sw-relay';

  static override properties: PropertyDeclarations = {
    name: { reflect: true },
    src: { reflect: true },
    scope: { reflect: true },
    echo: { type: Boolean, reflect: true },
    queueLimit: { type: Number, attribute: 'queue-limit' },
  };

  protected static override reopenOn = ['disabled', 'name', 'src', 'scope'];

  name = '';
  src = '';
  scope = '';
  echo = false;
  queueLimit = 1000;
  /** This element's random id, sent with every post; it arrives as `event.sender`. */
  readonly senderId = Math.random().toString(36).slice(2);

  private registration?: ServiceWorkerRegistration;
  private container?: ServiceWorkerContainer;
  private queue: { envelope: object; port?: MessagePort }[] = [];
  private session = 0;
  private switching = false;
  private announcedOpen = false;

  /** The service worker registration in use, once known. */
  get serviceWorkerRegistration(): ServiceWorkerRegistration | undefined {
    return this.registration;
  }

  /**
   * Relays anything structured clone accepts to every other tab on the channel (and other same-
   * channel elements of this page). Queued until a worker is active; returns `false` (and fires
   * `queue-full`) when the queue is full. Throws `DataCloneError` / `InvalidStateError` at once.
   *
   * @throws {DOMException} `DataCloneError` for uncloneable data; `InvalidStateError` when disabled or removed.
   */
  post(data: Out): boolean {
    this.usable();
    // Taken as it is at the call: a post queued until a worker is active is not changed by what
    // the caller does to `data` meanwhile (nor by a same-page listener).
    const copy = structuredClone(data);
    for (const peer of local.get(this.name) ?? []) {
      if (peer != this || this.echo) peer.deliver(structuredClone(data), this.senderId);
    }
    return this.send({
      rtRelay: 1,
      kind: 'post',
      channel: this.name,
      sender: this.senderId,
      data: copy,
    });
  }

  /**
   * Asks the worker over a `MessageChannel` and resolves with its answer (the shipped worker
   * answers `{ clients }`). Rejects with a `RelayRequestError`: `code` `timeout`, `worker-error`
   * (the handler threw) or `queue-full`. A request that times out while still queued (no active
   * worker yet) is dropped: the worker never handles it.
   */
  request(data: Out, { timeout = 5000 }: { timeout?: number } = {}): Promise<unknown> {
    this.usable();
    data = structuredClone(data); // as post(): taken as it is at the call
    const since = performance.now();
    const channel = new MessageChannel();
    // Sent (or queued) now, in order with post(); the wait for the answer loads on first use.
    const queued = this.send(
      { rtRelay: 1, kind: 'request', channel: this.name, sender: this.senderId, data },
      channel.port2,
    );
    return import('./internal/relay-requests.js').then((m) =>
      m.answer(this as never, channel, timeout, since, queued),
    );
  }

  /**
   * Activates a waiting worker version. Posts made meanwhile, by any relay of this page on that
   * registration, wait and go to the new worker: none is lost, and none reaches the old one (in
   * Chromium that would hold the activation for the old worker's 30 s idle delay).
   */
  skipWaiting(): void {
    // The lazy part (internal/relay-delivery.ts, `track`) replaces this before the relay has a
    // registration: until then there is no waiting worker to activate.
  }

  protected override acquire(): void {
    if (!this.name) return this.missing('name');
    let container: ServiceWorkerContainer | undefined;
    try {
      container = navigator.serviceWorker;
    } catch {
      // Opaque origins (sandboxed frames) throw a SecurityError here.
    }
    // Firefox gives opaque origins a container whose every promise rejects.
    if (!container || origin == 'null') {
      return this.halt('unsupported', 'No service workers here (insecure or opaque origin).');
    }
    local.set(this.name, (local.get(this.name) ?? new Set()).add(this));
    this.container = container;
    container.addEventListener('message', this.onMessage);
    container.addEventListener('controllerchange', this.onWorkerChange);
    container.startMessages();
    this.setState('connecting');
    const session = ++this.session;
    const registering = this.src
      ? container.register(
          new URL(this.src, document.baseURI),
          this.scope ? { scope: this.scope } : {},
        )
      : container.ready;
    // The lazy part (in the chunk of `request()`'s code) follows the relay before it opens:
    // delivery across worker changes, `skipWaiting()` (internal/relay-delivery.ts), and the
    // back/forward cache (internal/relay-resume.ts).
    Promise.all([registering, import('./internal/relay-requests.js')]).then(
      ([registration, m]) => {
        if (session != this.session) return;
        m.follow(this as never);
        this.registration = registration;
        registration.addEventListener('updatefound', this.onUpdateFound);
        this.onUpdateFound();
        this.onWorkerChange();
      },
      (error: Error) => {
        if (session != this.session) return;
        this.halt('register-failed', `Could not register ${this.src}: ${error.message}`, {
          cause: error,
        });
      },
    );
  }

  protected override release(): void {
    // Removed with posts still waiting for a worker (a "goodbye" as it unmounts): `follow` of a
    // relay not connected sends them anyway (internal/relay-delivery.ts, `drain`).
    void import('./internal/relay-requests.js').then((m) => m.follow(this as never));
    this.session++;
    // Every channel: `name` may have changed since it joined (a rename reopens it).
    for (const peers of local.values()) peers.delete(this);
    this.container?.removeEventListener('message', this.onMessage);
    this.container?.removeEventListener('controllerchange', this.onWorkerChange);
    this.container = undefined;
    this.registration?.removeEventListener('updatefound', this.onUpdateFound);
    this.registration = undefined;
    this.switching = this.announcedOpen = false;
  }

  /** A request that timed out while queued (no active worker yet) is dropped. */
  protected unqueue(port: MessagePort): void {
    this.queue = this.queue.filter((queued) => queued.port != port);
  }

  private send(envelope: object, port?: MessagePort): boolean {
    const active = this.registration?.active;
    if (this.state == 'open' && active && !this.switching && !this.queue.length) {
      active.postMessage(envelope, port ? [port] : []);
      return true;
    }
    if (this.queue.length >= this.queueLimit) {
      this.fail('queue-full', `${this.queueLimit} messages are already waiting for the worker.`);
      return false;
    }
    this.queue.push({ envelope, port });
    return true;
  }

  private deliver(data: unknown, sender: string): void {
    this.emit(new RealtimeMessageEvent({ data, origin: location.origin, sender }));
  }

  /** The active worker appeared or changed: (re)target it and flush what waited. */
  private readonly onWorkerChange = (): void => {
    const registration = this.registration;
    if (!registration) return;
    const active = registration.active;
    // WebKit (2.50) may leave a second window's view of the worker at `activating` for good
    // while the worker already controls that window: a controlling worker is ready.
    const controlling =
      active?.state == 'activating' && this.container?.controller?.scriptURL == active.scriptURL;
    if (!active || (active.state != 'activated' && !controlling)) {
      const pending = registration.installing ?? registration.waiting ?? active;
      pending?.addEventListener('statechange', this.onWorkerChange, { once: true });
      return;
    }
    this.switching = false;
    // An active worker changes state only to `redundant`. Replaced by an update, the
    // registration has its successor; unregistered, and its pages claimed by a new
    // registration (Firefox, WebKit), it has none and relays nothing: open again as for a new
    // `src`, on the registration the scope has now.
    // A listener, not `onstatechange`: the page has one object per worker for all its relays.
    active.addEventListener(
      'statechange',
      () => registration != this.registration || registration.active || this.requestUpdate('src'),
    );
    this.setState('open');
    if (!this.announcedOpen) this.emit(new Event('open'));
    this.announcedOpen = true;
    if (this.superseded) return; // a listener disabled or removed the relay: nothing is flushed
    const waiting = this.queue;
    this.queue = [];
    // Through `send`: what was not acknowledged goes first (internal/relay-delivery.ts).
    for (const { envelope, port } of waiting) this.send(envelope, port);
  };

  private readonly onUpdateFound = (): void => {
    const registration = this.registration;
    const installing = registration?.installing;
    const announce = () => {
      if (registration?.waiting && registration.active) this.emit(new Event('update'));
    };
    if (installing) {
      installing.addEventListener('statechange', () => {
        if (installing.state == 'installed') announce();
        if (installing.state == 'activated') this.onWorkerChange();
      });
    } else announce();
  };

  private readonly onMessage = (event: MessageEvent): void => {
    const envelope = event.data;
    if (envelope?.rtRelay != 1 || envelope.kind != 'message' || envelope.channel != this.name)
      return;
    this.deliver(envelope.data, envelope.sender);
  };
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- merges with the class: the same parameters
export interface SwRelayElement<In = unknown, Out = In> {
  addEventListener: TypedEventTarget<SwRelayEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<SwRelayEventMap<In>>['removeEventListener'];
}

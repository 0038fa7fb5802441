/**
 * The common part of `<tab-channel>`'s fallback transports: a `BroadcastChannel`-shaped object
 * (`name`, `postMessage`, `close`, `onmessage`, `message` events) so the element — or a worker —
 * uses every transport alike. It follows the HTML standard's `BroadcastChannel` (§ 9.5.2) and
 * the web-platform-tests `webmessaging/broadcastchannel/` to the letter where the medium allows:
 * each message is a real `MessageEvent` dispatched on the receiving channel (`target`, `origin`,
 * `data`, `source === null`), posts reach the channels of this same global in posting order and
 * each post reaches them in creation order, a channel made after a post never receives it, one
 * closed before its turn never does, and a listener that throws never stops the transport.
 */

import { deliver } from './delivery-queue.js';

/** A transport-level failure: `code` is `too-large`, `quota-exceeded`, `message-lost` or `unsupported`. */
export class ChannelErrorEvent extends Event {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {
    super('error');
  }
}

export interface FallbackChannelOptions {
  /** Cookie transport: the domain the cookies are set for (spans its subdomains). */
  domain?: string;
  /** IndexedDB transport: how long a message is kept for slow readers, in ms (default 60000). */
  ttl?: number;
}

type Handler<E> = ((event: E) => unknown) | null;

/** Open channels per transport and name, in creation order (the order deliveries follow). */
const members = new Map<string, FallbackChannel[]>();

/** The open channels of `kind` in this global, of every name. */
export const membersOfKind = (kind: string): FallbackChannel[] =>
  [...members].flatMap(([key, list]) => (key.startsWith(`${kind}\n`) ? list : []));

/**
 * Queues a `message` event for each open channel of `kind` named `name` here that `accept`s it
 * (in creation order, as of now: a channel made later never gets it); `copy` makes each one's
 * `data`.
 */
export function deliverHere(
  key: string,
  copy: () => unknown,
  origin: string,
  accept: (peer: FallbackChannel) => boolean = () => true,
): void {
  for (const peer of members.get(key) ?? []) {
    if (accept(peer)) deliver(() => peer.dispatchMessage(copy(), origin));
  }
}

/** The key of `deliverHere` for channels of `kind` named `name`. */
export const channelKey = (kind: string, name: string): string => `${kind}\n${name}`;

/**
 * The name conversion of `new BroadcastChannel(name)` (WebIDL `DOMString`): `null` becomes
 * `"null"`, `123` becomes `"123"`, a missing name or a Symbol is a `TypeError`.
 */
export function channelName(argumentCount: number, name: unknown): string {
  if (!argumentCount) {
    throw new TypeError('A channel needs a name: 1 argument required, but only 0 present.');
  }
  return `${name as string}`;
}

export abstract class FallbackChannel extends EventTarget {
  private readonly channelName: string;
  /**
   * Resolves once the channel receives what other contexts post (IndexedDB: once its database
   * is open; at once elsewhere).
   */
  readonly ready: Promise<void> = Promise.resolve();
  protected closed = false;
  private readonly key: string;
  private readonly handlers = new Map<string, Handler<Event>>();
  /** The one listener behind every `on…` attribute (HTML § 8.1.8.1, event handlers). */
  private readonly handlerListener = {
    handleEvent: (event: Event) => this.handlers.get(event.type)?.call(this, event),
  };

  /** `kind` names the transport: only channels of the same kind and name reach each other. */
  constructor(name: string, kind: string) {
    super();
    this.channelName = name;
    this.key = channelKey(kind, name);
  }

  /** The channel name, converted to a string as `BroadcastChannel` does; read-only. */
  get name(): string {
    return this.channelName;
  }

  get onmessage(): Handler<MessageEvent> {
    return this.handlers.get('message') ?? null;
  }
  set onmessage(handler: Handler<MessageEvent>) {
    this.setHandler('message', handler);
  }
  get onmessageerror(): Handler<MessageEvent> {
    return this.handlers.get('messageerror') ?? null;
  }
  set onmessageerror(handler: Handler<MessageEvent>) {
    this.setHandler('messageerror', handler);
  }
  get onerror(): Handler<ChannelErrorEvent> {
    return this.handlers.get('error') ?? null;
  }
  set onerror(handler: Handler<ChannelErrorEvent>) {
    this.setHandler('error', handler);
  }

  /**
   * Sends `message` to the channel's other members, here and in other contexts.
   *
   * @throws {TypeError} without an argument, like `BroadcastChannel`.
   * @throws {DOMException} `InvalidStateError` once closed; `DataCloneError` when the transport
   *   cannot carry `message` (nothing is sent); `QuotaExceededError` when storage is full.
   * @throws {RangeError} when `message` is larger than the transport carries.
   */
  postMessage(message: unknown): void {
    if (!arguments.length) {
      throw new TypeError('postMessage needs a message: 1 argument required, but only 0 present.');
    }
    if (this.closed) {
      throw new DOMException(`The channel "${this.name}" is closed.`, 'InvalidStateError');
    }
    const copy = this.write(message);
    // The medium skips its own global (storage events never reach their own document), so the
    // channels here get their copies now, in creation order, queued behind earlier deliveries.
    deliverHere(this.key, copy, this.origin(), (peer) => peer !== this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const list = members.get(this.key) ?? [];
    const at = list.indexOf(this);
    if (at >= 0) list.splice(at, 1);
    if (!list.length) members.delete(this.key);
    this.shutdown();
  }

  /** Adds this channel to its global's members: call last in the constructor, once nothing can throw. */
  protected join(): void {
    const list = members.get(this.key) ?? [];
    list.push(this);
    members.set(this.key, list);
  }

  /**
   * Writes `message` to the shared medium (or queues it for the medium). Returns how to make
   * each receiver here its own copy. Throws, sending nothing, what the transport cannot carry.
   */
  protected abstract write(message: unknown): () => unknown;

  /**
   * Resolves once this channel has delivered what the medium holds for it now: a page back from
   * the back/forward cache gets, live, what was written while it was frozen (IndexedDB rows and
   * cookies stay; a storage event sent then is gone). At once where nothing is read back.
   */
  caughtUp(): Promise<void> {
    return Promise.resolve();
  }

  /** Releases what this channel holds of the medium (polling, listeners, keys). */
  protected abstract shutdown(): void;

  /** @internal This global's origin, as messages from here carry it. */
  origin(): string {
    return globalThis.location?.origin ?? '';
  }

  /** @internal Dispatches a `message` event carrying `data`, unless the channel closed in the meantime. */
  dispatchMessage(data: unknown, origin: string): void {
    if (this.closed) return;
    const event = new MessageEvent('message', { data, origin });
    // MessageEventInit turns `data: undefined` into null; BroadcastChannel keeps undefined.
    if (data === undefined) Object.defineProperty(event, 'data', { value: undefined });
    this.dispatchEvent(event);
  }

  /** @internal Dispatches `messageerror` (the message could not be read), unless closed. */
  dispatchUnreadable(origin: string): void {
    if (!this.closed) this.dispatchEvent(new MessageEvent('messageerror', { origin }));
  }

  /** @internal Dispatches an `error` event with a code, unless closed. */
  report(code: string, message: string): void {
    if (!this.closed) this.dispatchEvent(new ChannelErrorEvent(code, message));
  }

  private setHandler(type: string, handler: unknown): void {
    // WebIDL [LegacyTreatNonObjectAsNull]: anything but a function or object clears the handler.
    const value =
      typeof handler === 'function' || (typeof handler === 'object' && handler)
        ? (handler as Handler<Event>)
        : null;
    const had = this.handlers.has(type);
    if (value) {
      this.handlers.set(type, value);
      // First set: the listener takes its place among the listeners now, as in browsers.
      if (!had) this.addEventListener(type, this.handlerListener);
    } else if (had) {
      this.handlers.delete(type);
      this.removeEventListener(type, this.handlerListener);
    }
  }
}

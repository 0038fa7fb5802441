/**
 * The common part of `<tab-channel>`'s fallback transports: a `BroadcastChannel`-shaped object
 * (`postMessage`, `close`, `onmessage`, `message` events) so the element — or a worker — uses
 * every transport alike. Like `BroadcastChannel`, posts also reach other channels of the same
 * name and kind in this same global (storage events and polls only see other tabs).
 */

import { randomId } from '../internal/random-id.js';

/** A transport-level failure: `code` is `too-large`, `quota-exceeded` or `message-lost`. */
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

const localPeers = new Map<string, Set<FallbackChannel>>();

/** `new DOMException(message, 'InvalidStateError')`, the error of a closed channel. */
const closedError = (name: string) =>
  new DOMException(`The channel "${name}" is closed.`, 'InvalidStateError');

export abstract class FallbackChannel extends EventTarget {
  onmessage: Handler<MessageEvent> = null;
  onmessageerror: Handler<MessageEvent> = null;
  onerror: Handler<ChannelErrorEvent> = null;

  /** This channel's writer id: readers order and de-duplicate per writer. */
  protected readonly sender = randomId();
  protected closed = false;
  private readonly peerKey: string;

  /** `kind` names the transport: only channels of the same kind and name reach each other. */
  constructor(
    readonly name: string,
    kind: string,
  ) {
    super();
    this.peerKey = `${kind}\n${name}`;
    const peers = localPeers.get(this.peerKey) ?? new Set();
    peers.add(this);
    localPeers.set(this.peerKey, peers);
  }

  /**
   * Sends `data` to the channel's other members.
   *
   * @throws {DOMException} `InvalidStateError` once closed; `DataCloneError` when the transport
   *   cannot carry `data`; `QuotaExceededError` when storage is full.
   * @throws {RangeError} when `data` is larger than the transport carries.
   */
  postMessage(data: unknown): void {
    if (this.closed) throw closedError(this.name);
    const copyForPeers = this.write(data);
    if (!copyForPeers) return;
    for (const peer of localPeers.get(this.peerKey) ?? []) {
      if (peer !== this) queueMicrotask(() => peer.receive(copyForPeers(), this.origin()));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const peers = localPeers.get(this.peerKey);
    peers?.delete(this);
    if (!peers?.size) localPeers.delete(this.peerKey);
    this.shutdown();
  }

  /**
   * Writes `data` to the shared medium. Returns how to copy it for the other channels of this
   * global when the medium does not reach them (storage events skip their own document), or
   * nothing when they read it like any other tab (polling).
   */
  protected abstract write(data: unknown): (() => unknown) | undefined;

  /** Stops polling or listening and releases what the transport holds. */
  protected abstract shutdown(): void;

  protected origin(): string {
    return globalThis.location?.origin ?? '';
  }

  protected receive(data: unknown, origin: string): void {
    if (this.closed) return;
    this.fire(new MessageEvent('message', { data, origin }), this.onmessage);
  }

  protected receiveUnreadable(origin: string): void {
    if (!this.closed) this.fire(new MessageEvent('messageerror', { origin }), this.onmessageerror);
  }

  protected report(code: string, message: string): void {
    if (!this.closed) this.fire(new ChannelErrorEvent(code, message), this.onerror);
  }

  private fire<E extends Event>(event: E, handler: Handler<E>): void {
    handler?.call(this, event);
    this.dispatchEvent(event);
  }
}

/**
 * JSON text of `data` for the string-based transports, or `DataCloneError` — the error
 * `BroadcastChannel` gives for data it cannot carry.
 */
export function toJson(data: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new DOMException(
      `This transport carries JSON: ${(error as Error).message}`,
      'DataCloneError',
    );
  }
  if (text === undefined) {
    throw new DOMException(`This transport carries JSON, not ${typeof data}.`, 'DataCloneError');
  }
  return text;
}

/**
 * Tracks the last sequence number seen per writer, so each message is delivered once and in
 * its writer's order.
 */
export class SequenceTracker {
  private readonly last = new Map<string, number>();

  /** Messages of `sender` numbered above what was already seen. */
  fresh(sender: string, seq: number): boolean {
    const last = this.last.get(sender) ?? 0;
    if (seq <= last) return false;
    this.last.set(sender, seq);
    return true;
  }

  /** The last number seen for `sender` (0 when unknown). */
  seen(sender: string): number {
    return this.last.get(sender) ?? 0;
  }

  known(sender: string): boolean {
    return this.last.has(sender);
  }
}

import type { ValidationIssue } from './validation.js';

/**
 * Event classes shared by every element. They never bubble and are not composed, like the
 * native events they mirror, so an element's `error` never reaches window-level handlers.
 */

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'error';

/** Fired when the reflected `state` attribute changes. */
export class StateChangeEvent extends Event {
  constructor(
    readonly state: string,
    readonly previousState: string,
  ) {
    super('statechange');
  }
}

export interface RealtimeErrorInit {
  /** Extra machine-readable facts, e.g. the HTTP `status` or the `raw` string that failed to parse. */
  status?: number;
  raw?: unknown;
  cause?: unknown;
  issues?: ReadonlyArray<ValidationIssue>;
}

/**
 * Fired for every asynchronous failure. `code` is stable and machine-readable; `message` is for
 * people and may change between versions.
 */
export class RealtimeErrorEvent extends Event {
  readonly status?: number;
  /**
   * What failed, as received: the string that did not parse (`parse-error`, `too-large`), or
   * the value a `validate` rejected (`invalid-message`: any value, so `unknown`).
   */
  readonly raw?: unknown;
  readonly cause?: unknown;
  /** `invalid-message`: what the validator found (Standard Schema issues). */
  readonly issues?: ReadonlyArray<ValidationIssue>;
  constructor(
    readonly code: string,
    readonly message: string,
    init: RealtimeErrorInit = {},
  ) {
    super('error');
    Object.assign(this, init);
  }
}

export interface RealtimeMessageInit<T> extends MessageEventInit<T> {
  [extra: string]: unknown;
}

/**
 * A `MessageEvent` (so `instanceof MessageEvent` and `event.data` work as with the native API)
 * that can carry element-specific fields such as `eventType`, `topic` or `id`.
 */
export class RealtimeMessageEvent<T = unknown> extends MessageEvent<T> {
  constructor(init: RealtimeMessageInit<T>) {
    // The init goes to MessageEvent as it is (unknown members are ignored); only the extras are
    // copied, so a plain `{ data, origin }` costs no second object on this hot path.
    super('message', init);
    // MessageEventInit turns `data: undefined` into null; a posted `undefined` stays undefined.
    if (init.data === undefined && 'data' in init) {
      Object.defineProperty(this, 'data', { value: undefined });
    }
    for (const key in init) if (!(key in this)) (this as Record<string, unknown>)[key] = init[key];
  }
}

/** `<sse-feed>`'s `message`: one SSE event. */
export interface SseMessageEvent<T = unknown> extends RealtimeMessageEvent<T> {
  /** The event's own `event:` field (`message` when the server sent none): never a DOM event type. */
  readonly eventType: string;
}

/**
 * `<socket-relay>`'s and `<poll-feed>`'s `message`. `topic` and `id` (= `lastEventId`) are
 * there when the messages come from the hub (`<socket-relay>` hub mode, `<poll-feed long>`).
 */
export interface HubMessageEvent<T = unknown> extends RealtimeMessageEvent<T> {
  /** The hub topic the message was published on. */
  readonly topic?: string;
  /** The hub's id of the message, the resume cursor (also in `lastEventId`). */
  readonly id?: string;
}

/** `<sw-relay>`'s `message`. */
export interface SwRelayMessageEvent<T = unknown> extends RealtimeMessageEvent<T> {
  /** The posting element's `senderId`. */
  readonly sender: string;
}

/** The events every element can fire. */
export interface RealtimeEventMap {
  statechange: StateChangeEvent;
  error: RealtimeErrorEvent;
  open: Event;
  close: Event;
}

/** Fired by `<storage-sync>` when its value changes from elsewhere (another tab or element). */
export class ValueChangeEvent<T = unknown> extends Event {
  constructor(
    readonly value: T,
    readonly oldValue: T,
    readonly key: string,
    /** The key was removed (`removeItem`, or `remove()` elsewhere). */
    readonly removed = false,
    /** The whole storage area was cleared (`storage.clear()`). */
    readonly cleared = false,
  ) {
    super('valuechange');
  }
}

/** Fired when a connection ends: `willReconnect` tells whether the element will try again. */
export class RealtimeCloseEvent extends Event {
  constructor(
    readonly willReconnect: boolean,
    readonly code = 0,
    readonly reason = '',
    readonly wasClean = false,
  ) {
    super('close');
  }
}

/**
 * Fired when the server cannot resume from the element's cursor (the hub's `reset`: an unknown
 * epoch, or a cursor older than its history). Events may have been missed: re-sync state.
 * `topics` names the topics that missed events when the hub says (a `too-old` of some of
 * several topics: the others missed nothing, and every event still kept follows).
 */
export class ResetEvent extends Event {
  constructor(
    readonly reason: string,
    readonly lastEventId: string,
    readonly topics?: string[],
  ) {
    super('reset');
  }
}

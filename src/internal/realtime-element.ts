import {
  ReactiveElement,
  unsafeCSS,
  type PropertyDeclarations,
  type PropertyValues,
} from '@lit/reactive-element';
import { defineElement } from './define.js';
import {
  RealtimeErrorEvent,
  StateChangeEvent,
  type RealtimeErrorInit,
  type RealtimeEventMap,
  type ValueChangeEvent,
} from './events.js';
import type { Checked, Validator } from './validation.js';

/** The validation code: loaded with the first message a `validate` must check. */
let validation: typeof import('./validation.js') | undefined;

/**
 * What `subscribe()` hands a message element's subscribers: the latest message (`data`, its
 * `lastEventId`), the `state`, the kept `error`, and `leader` on elements that elect one.
 */
export interface RealtimeSnapshot<T = unknown> {
  readonly state: string;
  readonly error: RealtimeErrorEvent | null;
  /** The latest message's `lastEventId` (`''` before the first, or where the mechanism has none). */
  readonly lastEventId: string;
  /** The latest message's `data`; `undefined` before the first. */
  readonly data: T | undefined;
  /** `<tab-channel elect>` and `shared` feeds: this tab is the leader. */
  readonly leader?: boolean;
}

/** What `subscribe()` hands `<storage-sync>`'s subscribers. */
export interface StorageSnapshot<T = unknown> {
  readonly state: string;
  readonly error: RealtimeErrorEvent | null;
  /** The current value (as the `value` property). */
  readonly value: T;
}

/** The payload type an element's event map carries (`message` data, or `valuechange` value). */
export type PayloadOf<M> = M extends { message: MessageEvent<infer T> }
  ? T
  : M extends { valuechange: ValueChangeEvent<infer T> }
    ? T
    : unknown;

/** The snapshot type of an element with event map `M`. */
export type SnapshotOf<M> = M extends { valuechange: ValueChangeEvent<infer T> }
  ? StorageSnapshot<T>
  : RealtimeSnapshot<PayloadOf<M>>;

/** A Svelte-compatible store: `subscribe(run)` calls `run` now and on every change. */
export interface Readable<S> {
  subscribe(run: (snapshot: S) => void): () => void;
}

/** `addEventListener` typed by an element's event map (the GitHub `*-element` pattern). */
export interface TypedEventTarget<M> {
  addEventListener<K extends keyof M & string>(
    type: K,
    listener: (this: this, event: M[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof M & string>(
    type: K,
    listener: (this: this, event: M[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * The small base of every element: a transparent host (`display: contents` around a default
 * slot, so wrapped content such as a form stays visible and laid out as if the tag were not
 * there), a reflected `state`, a typed `emit()`, and one open/close lifecycle:
 *
 * - connected (and not `disabled`) → `acquire()` once properties have settled;
 * - a property listed in `reopenOn` changes → `release()` then `acquire()`;
 * - disconnected → `release()`, which must let go of everything.
 */
export abstract class RealtimeElement<
  M extends RealtimeEventMap = RealtimeEventMap,
> extends ReactiveElement {
  /** The tag `define()` uses when none is given. */
  static defaultTag = '';

  /** Defines the element (tolerates being called twice). */
  static define(
    this: CustomElementConstructor & { defaultTag: string },
    tag = this.defaultTag,
    registry: CustomElementRegistry = customElements,
  ): void {
    defineElement(tag, this, registry);
  }

  // A constant, so nothing unsafe: `unsafeCSS` rather than the `css` tag, whose checks of
  // interpolated values would only add bytes to every page.
  static override styles = unsafeCSS(':host{display:contents}');

  static override properties: PropertyDeclarations = {
    disabled: { type: Boolean, reflect: true },
  };

  /** Properties whose change re-opens the element's resource. */
  protected static reopenOn: readonly string[] = ['disabled'];

  /** While set, the element stays closed. */
  disabled = false;

  private _state: string = 'closed';
  private _needsOpen = false;
  private _error: RealtimeErrorEvent | null = null;
  /** How deep the element is inside dispatching its own events. */
  private _dispatching = 0;
  /** The page changed course inside a listener: see `superseded`. */
  private _interventionPending = false;
  private _superseded = false;
  /** Counts opens and closes: a message validated across one is stale. */
  private _epoch = 0;
  private _subscribers?: Set<(snapshot: unknown) => void>;
  private _snapshot?: SnapshotOf<M>;
  private _data?: unknown;
  private _lastEventId = '';
  /** Async validations in flight, in message order. */
  private _checking?: Promise<unknown>;
  /** The validated message being dispatched (not checked twice). */
  private _passing?: Event;

  /**
   * Checks each received message (`<storage-sync>`: each stored value, after parsing) before
   * delivery: a Standard Schema (zod, valibot …) or a function that returns the value (or a
   * promise) and throws if invalid. The result is what the event carries; a failing value is
   * not delivered (`invalid-message` error with `raw` and `issues`). See Validation.
   */
  validate: Validator<PayloadOf<M>> | null = null;

  /** `connecting`, `open`, `closed` or `error` (plus element-specific values); reflected. */
  get state(): string {
    return this._state;
  }

  /**
   * The last `error` event, kept until the element opens again; else `null`. For a listener
   * added too late to hear an error raised while the element first opened.
   */
  get error(): RealtimeErrorEvent | null {
    return this._error;
  }

  /**
   * The latest state as one shallowly frozen object, the same object until something in it
   * changes: `{ state, error, lastEventId, data }` (plus `leader` where the element elects one),
   * or `{ state, error, value }` for `<storage-sync>`.
   */
  get snapshot(): SnapshotOf<M> {
    if (this._snapshot) return this._snapshot;
    const self = this as unknown as { value: unknown; leader?: boolean };
    const next: Record<string, unknown> =
      'value' in this
        ? { state: this._state, error: this._error, value: self.value }
        : {
            state: this._state,
            error: this._error,
            lastEventId: this._lastEventId,
            data: this._data,
          };
    if ('leader' in this) next.leader = self.leader;
    return (this._snapshot = Object.freeze(next) as unknown as SnapshotOf<M>);
  }

  /**
   * Svelte's store contract (`$feed` works as is), the base of the React, Vue and Angular
   * adapters: calls `run` at once with the `snapshot`, then with a new one on every change;
   * returns the function that stops it. The snapshot is "the latest": listen to `message` to
   * see every message.
   */
  subscribe(run: (snapshot: SnapshotOf<M>) => void): () => void {
    const subscribers = (this._subscribers ??= new Set());
    // Each call its own entry: the same function subscribed twice is called twice, and each
    // unsubscribe removes one.
    const entry = (snapshot: unknown) => run(snapshot as SnapshotOf<M>);
    subscribers.add(entry);
    run(this.snapshot);
    return () => void subscribers.delete(entry);
  }

  /**
   * Something in the snapshot may have changed: a new one is made (the last kept while every
   * field is the same, unless `message`: each message is news, even a repeat), and subscribers
   * get it.
   */
  protected changed(message = false): void {
    const last = this._snapshot as unknown as Record<string, unknown> | undefined;
    this._snapshot = undefined;
    if (!this._subscribers?.size) return;
    const next = this.snapshot as unknown as Record<string, unknown>;
    if (!message && last && Object.keys(next).every((key) => next[key] === last[key])) {
      this._snapshot = last as unknown as SnapshotOf<M>;
      return;
    }
    const subscribers = this._subscribers;
    for (const run of [...subscribers]) {
      // Svelte's contract, and its store bugs (sveltejs/svelte#4794, #11555): one unsubscribed
      // earlier in this round is not called; one that throws is reported (as a listener's
      // exception is) and stops no other; once a subscriber's change made a newer snapshot,
      // its round told everyone and this one stops, so nobody is left on an older one.
      if (this._snapshot !== (next as unknown)) return;
      if (!subscribers.has(run)) continue;
      try {
        run(next as unknown as SnapshotOf<M>);
      } catch (error) {
        reportError(error);
      }
    }
  }

  protected override createRenderRoot(): HTMLElement | DocumentFragment {
    const root = super.createRenderRoot();
    root.appendChild(document.createElement('slot'));
    return root;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.setAttribute('state', this._state);
    this._needsOpen = true;
    this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._epoch++;
    this.intervene();
    this._needsOpen = false;
    this.release();
    this.setState('closed');
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const keys = (this.constructor as typeof RealtimeElement).reopenOn;
    if (!this.isConnected) return this.changed();
    if (this._needsOpen || keys.some((key) => changed.has(key))) {
      this._epoch++;
      this.intervene();
      this._needsOpen = false;
      this.release();
      this.setState('closed');
      if (!this.disabled) this.acquire();
    }
    this.changed();
  }

  override requestUpdate(name?: PropertyKey, oldValue?: unknown, options?: never): void {
    super.requestUpdate(name, oldValue, options);
    // Setting a re-opening property (`disabled`, `src`, …) takes effect in Lit's next update,
    // but it is the page's call: what the element was doing when it was made must not go on.
    const keys = (this.constructor as typeof RealtimeElement).reopenOn;
    if (typeof name === 'string' && keys.includes(name) && this[name as keyof this] !== oldValue) {
      this.intervene();
    }
  }

  /**
   * True for the rest of the element's own synchronous work after a listener of one of its
   * events changed the element's course (`close()`, `reconnect()`, `disabled`, a new `src`,
   * removal …): the page's call wins over whatever the element meant to do after dispatching.
   * Until the next microtask, `setState`, `emit` and `fail` do nothing; element code that does
   * anything else after dispatching checks this first.
   */
  protected get superseded(): boolean {
    return this._superseded;
  }

  /**
   * The page changes the element's course (public methods that open, close or reconnect call
   * this first). Inside a listener of the element's own event it supersedes the element's work
   * that follows the dispatch; at the top level it starts a fresh course.
   */
  protected intervene(): void {
    if (this._dispatching > 0) this._interventionPending = true;
    else this._superseded = false;
  }

  /** Opens the resource. Called only while connected and not disabled. */
  protected abstract acquire(): void;

  /** Releases everything `acquire()` took. Safe to call when nothing is open. */
  protected abstract release(): void;

  /**
   * Applies pending property changes now, so a method called right after the element was
   * appended (before Lit's microtask update) finds the resource open.
   */
  protected settle(): void {
    if (this.isUpdatePending && this.isConnected) this.performUpdate();
  }

  /**
   * For methods that act on an open element (`post()`, `request()` …): throws
   * `InvalidStateError` when the element is disabled or not in the document.
   */
  protected usable(): void {
    if (!this.isConnected || this.disabled) {
      throw new DOMException(
        `<${this.localName}> is ${this.disabled ? 'disabled' : 'not in the document'}.`,
        'InvalidStateError',
      );
    }
  }

  protected setState(state: string): void {
    if (this._superseded) return;
    const previous = this._state;
    if (previous === state) return;
    this._state = state;
    if (state === 'open') this._error = null;
    if (this.isConnected || state === 'closed') this.setAttribute('state', state);
    this.emit(new StateChangeEvent(state, previous) as M['statechange']);
  }

  protected emit<K extends keyof M & string>(event: M[K] & Event): boolean {
    if (this._superseded) return false;
    if (event.type === 'message' && event !== this._passing) {
      // Behind a check in flight even when `validate` was cleared since: order is kept.
      if (this.validate || this._checking) return this._admit(event as unknown as MessageEvent);
    }
    if (event instanceof RealtimeErrorEvent) this._error = event;
    if (event.type === 'message') {
      this._data = (event as unknown as MessageEvent).data;
      this._lastEventId = (event as unknown as MessageEvent).lastEventId;
    }
    this._dispatching++;
    try {
      return this.dispatchEvent(event);
    } finally {
      this.changed(event.type === 'message');
      if (--this._dispatching === 0 && this._interventionPending) {
        this._interventionPending = false;
        this._superseded = true;
        // A listener's call ran to completion inside the dispatch; what follows it in this
        // task is the element's own (now stale) work. Lit's update, a microtask, starts afresh.
        queueMicrotask(() => (this._superseded = false));
      }
    }
  }

  /** Validates a message, then delivers it (or reports it) in the order messages came. */
  private _admit(event: MessageEvent): boolean {
    const epoch = this._epoch;
    const validate = this.validate ?? ((value: unknown) => value);
    const deliver = (checked: Checked) => {
      if (epoch !== this._epoch || this.rejects(event.data, checked)) return;
      Object.defineProperty(event, 'data', { value: (checked as { value: unknown }).value });
      this._passing = event;
      this.emit(event as never);
    };
    // Until the code has loaded (once per page) the check is async; message order holds.
    const run = () =>
      validation
        ? validation.check(validate, event.data)
        : import('./validation.js').then((code) => (validation = code).check(validate, event.data));
    const next = this._checking ? this._checking.then(run) : run();
    if (next instanceof Promise) {
      // A chunk that fails to load loses nothing silently: the message is reported with it.
      const done: Promise<unknown> = (this._checking = next.then(deliver, (cause: unknown) =>
        this.fail('network', 'The validation code did not load.', { cause, raw: event.data }),
      ));
      void done.then(() => this._checking === done && (this._checking = undefined));
    } else deliver(next);
    return true;
  }

  /** Reports a value `validate` refused (`invalid-message`); true when it did. */
  protected rejects(raw: unknown, checked: Checked): boolean {
    if (checked.issues) {
      this.fail('invalid-message', `Invalid: ${checked.issues[0]?.message ?? 'no issue given'}`, {
        raw,
        ...checked,
      });
    }
    return !!checked.issues;
  }

  /** Stops in the `error` state and says why (an `error` event). */
  protected halt(code: string, message: string, init?: RealtimeErrorInit): void {
    this.setState('error');
    this.fail(code, message, init);
  }

  protected fail(code: string, message: string, init?: RealtimeErrorInit): void {
    this.emit(new RealtimeErrorEvent(code, message, init) as M['error']);
  }

  /** Reports a required attribute (`src`, `name`, `key`) that is not set: `missing-<attribute>`. */
  protected missing(attribute: string): void {
    this.fail(`missing-${attribute}`, `<${this.localName}> needs a ${attribute} attribute.`);
  }
}

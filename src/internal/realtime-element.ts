import {
  ReactiveElement,
  css,
  type PropertyDeclarations,
  type PropertyValues,
} from '@lit/reactive-element';
import { defineElement } from './define.js';
import {
  RealtimeErrorEvent,
  StateChangeEvent,
  type RealtimeErrorInit,
  type RealtimeEventMap,
} from './events.js';

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

  static override styles = css`
    :host {
      display: contents;
    }
  `;

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
    this.intervene();
    this._needsOpen = false;
    this.release();
    this.setState('closed');
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const keys = (this.constructor as typeof RealtimeElement).reopenOn;
    if (!this.isConnected) return;
    if (this._needsOpen || keys.some((key) => changed.has(key))) {
      this.intervene();
      this._needsOpen = false;
      this.release();
      this.setState('closed');
      if (!this.disabled) this.acquire();
    }
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
    if (event instanceof RealtimeErrorEvent) this._error = event;
    this._dispatching++;
    try {
      return this.dispatchEvent(event);
    } finally {
      if (--this._dispatching === 0 && this._interventionPending) {
        this._interventionPending = false;
        this._superseded = true;
        // A listener's call ran to completion inside the dispatch; what follows it in this
        // task is the element's own (now stale) work. Lit's update, a microtask, starts afresh.
        queueMicrotask(() => (this._superseded = false));
      }
    }
  }

  protected fail(code: string, message: string, init?: RealtimeErrorInit): void {
    this.emit(new RealtimeErrorEvent(code, message, init) as M['error']);
  }
}

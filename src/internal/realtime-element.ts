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
    this._needsOpen = false;
    this.release();
    this.setState('closed');
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    const keys = (this.constructor as typeof RealtimeElement).reopenOn;
    if (!this.isConnected) return;
    if (this._needsOpen || keys.some((key) => changed.has(key))) {
      this._needsOpen = false;
      this.release();
      this.setState('closed');
      if (!this.disabled) this.acquire();
    }
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
    const previous = this._state;
    if (previous === state) return;
    this._state = state;
    if (state === 'open') this._error = null;
    if (this.isConnected || state === 'closed') this.setAttribute('state', state);
    this.emit(new StateChangeEvent(state, previous) as M['statechange']);
  }

  protected emit<K extends keyof M & string>(event: M[K] & Event): boolean {
    if (event instanceof RealtimeErrorEvent) this._error = event;
    return this.dispatchEvent(event);
  }

  protected fail(code: string, message: string, init?: RealtimeErrorInit): void {
    this.emit(new RealtimeErrorEvent(code, message, init) as M['error']);
  }
}

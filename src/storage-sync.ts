import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement, type TypedEventTarget } from './internal/realtime-element.js';
import { ValueChangeEvent, type RealtimeEventMap } from './internal/events.js';
import {
  ParseError,
  decode,
  encode,
  storageValueTypes,
  type StorageValueType,
} from './internal/storage-codec.js';
import { syncedControls, type FormControl } from './internal/form-controls.js';
import { check } from './internal/validation.js';
import type { StorageMigration, StorageSerializer } from './storage-sync-extras.js';

export type { StorageMigration, StorageSerializer } from './storage-sync-extras.js';

/** Reading and writing controls: loaded when the element first wraps a form. */
type FormCode = typeof import('./internal/form-binding.js');

export interface StorageSyncEventMap<T = unknown> extends RealtimeEventMap {
  valuechange: ValueChangeEvent<T>;
}

/** Elements of this page by storage area and key: the `storage` event skips the writing page. */
const peers = new Map<string, Set<StorageSyncElement>>();

/** `QuotaExceededError`, or Firefox's older `NS_ERROR_DOM_QUOTA_REACHED`. */
const isQuotaError = (error: unknown) => error instanceof DOMException && /quota/i.test(error.name);

/**
 * A value kept in `localStorage` or `sessionStorage` and shared live with every tab and every
 * other `<storage-sync>` of the same key in this page. Wrapped around a form, it saves the
 * named controls as the user types and restores them on load and when another tab edits them.
 *
 * @summary Persisted state shared live across tabs.
 * @tagname storage-sync
 *
 * @attr {string} key - Storage key (required). Changing it re-reads from the new key.
 * @attr {string} storage-key - The same as `key`, for React and Vue, which reserve `key`.
 * @attr {'local' | 'session'} storage - `session` belongs to one tab: then only elements of that tab stay in sync.
 * @attr {'json' | 'text' | 'number' | 'boolean'} type - How the stored string is parsed and written. Form mode always uses `json`.
 * @attr {string} default - The value while nothing is stored, parsed by `type` (`default="0"` with `type="number"` is `0`).
 * @attr {number} version - The shape version of the stored value: older values go through `migrate` once, newer ones are left alone (`version-ahead`). Stores an envelope. See [Versions and expiry](#versions-and-expiry).
 * @attr {number} max-age - In ms: a value older than this reads as the default, is removed, and `valuechange` fires with `expired: true` in every tab. Stores an envelope.
 * @attr {boolean} merge-defaults - Fields of an object `default` missing from the stored object are added (one level).
 * @attr {number} throttle - In ms: form writes while typing go to storage at most once per this long (the last one always; on `pagehide` at once).
 * @attr {boolean} disabled - Keeps the element closed.
 * @attr {string} state - `open`, `memory` (storage unavailable, working in this page's memory), `closed`.
 *
 * @fires {ValueChangeEvent} valuechange - The value changed elsewhere: another tab, or another element of this page. Not fired for the initial value, nor on the element whose `value` the page set. `cleared` is true after `storage.clear()`; `removed` after `removeItem`/`removeValue()`; `expired` (with `max-age`) when it expired. Carries `value`, `oldValue`, `key`, `removed`, `cleared`, `expired`.
 * @fires {Event} open - Storage was read.
 * @fires {RealtimeErrorEvent} error - `code`: `missing-key`, `invalid-attribute`, `parse-error`, `quota-exceeded`, `storage-unavailable`, `version-ahead` (stored by a newer `version`: left alone, the default used in memory), `migrate-failed`, `serialize-failed` (a `serializer`'s `stringify` threw on a form edit: nothing stored). `invalid-attribute` also for a `version` that is no whole number ≥ 0, or a `max-age` or `throttle` that is no number ≥ 0.
 * @fires {StateChangeEvent} statechange - The `state` changed: `state`, `previousState`.
 */
export class StorageSyncElement<T = unknown> extends RealtimeElement<StorageSyncEventMap<T>> {
  static override defaultTag = 'storage-sync';

  static override properties: PropertyDeclarations = {
    key: { reflect: true },
    storageKey: { attribute: 'storage-key', noAccessor: true },
    storage: { reflect: true },
    type: { reflect: true },
    defaultAttribute: { attribute: 'default' },
  };

  protected static override reopenOn = ['disabled', 'key', 'storage', 'type', 'defaultAttribute'];

  /** The storage key. */
  key = '';
  /** `local` (shared by every tab of the origin) or `session` (this tab only). */
  storage: 'local' | 'session' = 'local';
  /** How stored strings are parsed: `json`, `text`, `number` or `boolean`. */
  type: StorageValueType = 'json';
  /**
   * The value while nothing is stored, for objects; wins over the attribute. Without either,
   * `null`.
   */
  defaultValue: unknown = undefined;
  /** @internal The `default` attribute. */
  defaultAttribute: string | null = null;
  /**
   * With `version`: turns a value stored by an older release (`fromVersion`, 0 for one stored
   * before `version` was set) into today's shape; the result is written back once. May be
   * `async` (awaited as the element opens; `migrate-failed` if it has not settled after 10 s).
   */
  migrate?: StorageMigration;
  /** `{ parse, stringify }` instead of `type`'s, e.g. for `Date`, `Map`, `Set`. Set it before the element connects. */
  serializer?: StorageSerializer;
  /** The optional parts: loading (a promise), then loaded (`true`). */
  private x?: unknown;

  /** The same as `key`: React and Vue take a `key` prop for themselves and never pass it on. */
  get storageKey(): string {
    return this.key;
  }
  set storageKey(key: string) {
    this.key = key;
  }

  private area?: Storage | null;
  private raw: string | null = null;
  private current: unknown = undefined;
  private hasCurrent = false;
  /** A write refused for quota, retried on the next change or storage activity. */
  private pendingRaw?: string;
  /** A value the page set while the element was closed: written when it opens. */
  private setWhileClosed?: string | null;
  private observer?: MutationObserver;
  private restoring = false;
  /** The controls shown the value since it opened (read by the form code). */
  protected knownControls = new WeakSet<FormControl>();
  /** The storage area and key the controls last showed. */
  private shownGroup?: string;
  /** The peers group this element joined as it opened (its `key` may have changed since). */
  private group?: string;
  private formCode?: FormCode;
  /** Form work waiting for `formCode`, in order. */
  private formPending?: Promise<unknown>;

  constructor() {
    super();
    for (const type of ['input', 'change', 'reset']) this.addEventListener(type, this.onFormEvent);
  }

  /**
   * The stored value, or the default. Setting it writes storage and reaches every other tab and
   * same-key element; a value set before the element is connected (or while `disabled`) is written
   * when it opens. Setting `undefined` removes the key.
   */
  get value(): T {
    this.settle();
    return (this.hasCurrent ? this.current : this.fallback()) as T;
  }

  /**
   * @throws {TypeError} when the value cannot be stored for `type` (cycles, BigInt, wrong type);
   *   storage keeps the old value.
   */
  set value(value: T) {
    if (value === undefined) {
      this.removeValue();
      return;
    }
    const raw = this.enc(value);
    this.settle();
    if (this.area === undefined) {
      this.setWhileClosed = raw;
      this.current = value;
      this.hasCurrent = true;
      return;
    }
    // A framework re-rendering the same value (a new but equal object) is no change: a store
    // subscriber re-rendering on it would set it again, forever.
    const same = raw === this.raw && this.hasCurrent;
    this.commit(raw);
    this.current = this.dec(raw);
    this.hasCurrent = true;
    this.show('all');
    if (!same) this.changed();
  }

  /**
   * Removes the key from storage; the value becomes the default. (Not `remove()`: that is the
   * DOM method that takes the element out of the document.)
   */
  removeValue(): void {
    this.settle();
    if (this.area === undefined) {
      this.setWhileClosed = null;
      this.hasCurrent = false;
      return;
    }
    this.commit(null);
    this.hasCurrent = false;
    this.changed();
  }

  protected override acquire(): void {
    if (!this.key) {
      this.missing('key');
      return;
    }
    if (!storageValueTypes.includes(this.type) || !['local', 'session'].includes(this.storage)) {
      this.fail('invalid-attribute', `Bad type="${this.type}" or storage="${this.storage}".`);
      return;
    }
    // The optional parts patch this element when loaded, then open it (`extend`).
    if (
      this.x !== true &&
      (this.serializer || this.matches('[version],[max-age],[merge-defaults],[throttle]'))
    ) {
      this.x ??= import('./storage-sync-extras.js').then((m) => m.extend(this));
      return;
    }
    try {
      const area = this.storage === 'session' ? sessionStorage : localStorage;
      area.getItem(this.key);
      this.area = area;
    } catch (error) {
      this.area = null;
      this.fail('storage-unavailable', `${this.storage}Storage is unavailable: memory only.`, {
        cause: error,
      });
      if (this.superseded) return; // its listener disabled or removed the element
    }
    const group = `${this.storage}\0${this.key}`;
    // A write refused for quota belongs to the key it was made for: never retried under another.
    if (this.shownGroup !== group) this.pendingRaw = undefined;
    if (!peers.has(group)) peers.set(group, new Set());
    peers.get(group)!.add(this);
    this.group = group;
    window.addEventListener('storage', this.onStorage);
    window.addEventListener('pageshow', this.onStorage as never);
    this.observer = new MutationObserver(() => this.show('new'));
    this.observer.observe(this, { childList: true, subtree: true });

    // Open before reading: a parse-error or quota-exceeded met while reading stays in `error`.
    this.setState(this.area ? 'open' : 'memory');
    if (this.setWhileClosed !== undefined) {
      const raw = this.setWhileClosed;
      this.setWhileClosed = undefined;
      this.commit(raw);
    } else {
      const shown = this.raw;
      this.raw = this.area?.getItem(this.key) ?? null;
      // Removed elsewhere while this element was closed (detached by a framework's keep-alive,
      // or disabled): the draft the controls still show is discarded, as when seen live.
      if (this.shownGroup === group && shown !== null && this.raw === null) this.show('reset');
    }
    this.readCurrent();
    // Switched to another key with nothing stored: the old key's draft must not carry over
    // (the next keystroke would store it under the new key).
    if (this.shownGroup !== undefined && this.shownGroup !== group && !this.hasCurrent)
      this.show('reset');
    this.shownGroup = group;
    this.show('new');
    this.emit(new Event('open'));
  }

  private dec(raw: string): unknown {
    return decode(raw, this.form() ? 'json' : this.type);
  }

  private enc(value: unknown): string {
    return encode(value, this.form() ? 'json' : this.type);
  }

  protected override release(): void {
    if (this.area === undefined) return;
    // By the key it opened with: a new `key` is already set when the element re-opens.
    peers.get(this.group!)?.delete(this);
    window.removeEventListener('storage', this.onStorage);
    window.removeEventListener('pageshow', this.onStorage as never);
    this.observer?.disconnect();
    this.observer = undefined;
    this.area = undefined;
    this.knownControls = new WeakSet();
  }

  private fallback(): unknown {
    if (this.defaultValue !== undefined) return this.defaultValue;
    if (this.defaultAttribute === null) return null;
    try {
      return decode(this.defaultAttribute, this.type);
    } catch {
      return this.defaultAttribute;
    }
  }

  private form(): boolean {
    return syncedControls(this).length > 0;
  }

  /** Writes (or removes, for null) and tells the page's other elements of this key. */
  private commit(raw: string | null): void {
    // A retry of the same refused write is not a new failure: it was reported once.
    const retrying = raw === this.pendingRaw;
    this.pendingRaw = undefined;
    this.raw = raw;
    if (this.area) {
      try {
        if (raw === null) this.area.removeItem(this.key);
        else this.area.setItem(this.key, raw);
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        this.pendingRaw = raw!;
        // Firefox may send the storage event before the freed space is counted.
        if (!retrying)
          this.fail('quota-exceeded', `Storage full: "${this.key}" kept in memory.`, {
            cause: error,
          });
      }
    }
    for (const peer of peers.get(`${this.storage}\0${this.key}`) ?? []) {
      if (peer !== this) peer.adopt(raw, raw === null, false);
    }
  }

  /** Takes a value written elsewhere and announces it. */
  private adopt(raw: string | null, removed: boolean, cleared: boolean): void {
    // A later write from elsewhere wins over our refused one.
    this.pendingRaw = undefined;
    if (raw === this.raw && !cleared) return;
    const oldValue = this.value;
    this.raw = raw;
    if (!this.readCurrent()) return;
    // A draft removed elsewhere is gone here too: the controls go back to their defaults, so
    // the next keystroke stores only what is shown, never the discarded draft.
    this.show(raw === null ? 'reset' : 'all');
    this.emit(new ValueChangeEvent(this.value, oldValue, this.key, removed, cleared));
  }

  /**
   * Validates synchronously (storage is read synchronously): the value to use, or `undefined`
   * after an `invalid-message` error (an async validator is refused too).
   */
  private validated(raw: unknown): { value: unknown } | undefined {
    let checked = this.validate ? check(this.validate, raw) : { value: raw };
    if (checked instanceof Promise) checked = { issues: [{ message: 'validate is async' }] };
    return this.rejects(raw, checked) ? undefined : (checked as { value: unknown });
  }

  /** Parses and validates the stored string; false when `validate` refused it (the value stays). */
  private readCurrent(): boolean {
    if (this.raw === null) return !(this.hasCurrent = false);
    try {
      // After parsing and any migration (the extras wrap `dec`).
      const checked = this.validated(this.dec(this.raw));
      if (!checked) return false;
      this.current = checked.value;
      this.hasCurrent = true;
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      this.hasCurrent = false;
      this.fail('parse-error', `"${this.key}" is not ${this.type}: ${error.message}`, {
        raw: this.raw,
      });
    }
    return true;
  }

  /**
   * Runs `run` with the form code: now once it has loaded (and nothing waits before it), else
   * after it loads, in call order. `updateComplete` waits for it.
   */
  private withForm(run: (code: FormCode) => void): void {
    if (this.formCode && !this.formPending) return run(this.formCode);
    const pending: Promise<unknown> = (this.formPending = (
      this.formPending ??
      import('./internal/form-binding.js').then((code) => (this.formCode = code))
    )
      .then(() => run(this.formCode!))
      .catch((cause: unknown) => this.fail('network', 'The form code did not load.', { cause }))
      .finally(() => this.formPending === pending && (this.formPending = undefined)));
  }

  /**
   * Shows the value in the form's controls (`new`: only those not shown since it opened;
   * `reset`: the markup's defaults, then the default value), once the form code is there.
   */
  private show(how: 'all' | 'new' | 'reset'): void {
    if (this.form()) this.withForm((code) => code.show(this as never, how));
  }

  protected override async getUpdateComplete(): Promise<boolean> {
    const done = await super.getUpdateComplete();
    await this.formPending;
    return done;
  }

  /**
   * A control edited (`input`, `change`) or a form reset: handled by the form code, in order
   * with its other work (the writes of a restore are not the user's edits).
   */
  private readonly onFormEvent = (event: Event): void => {
    if (!this.restoring && this.area !== undefined && this.form())
      this.withForm((code) => code.formEvent(this as never, event));
  };

  private readonly onStorage = (event: StorageEvent): void => {
    if (!this.area) return;
    // Back from the back/forward cache: a change made while the page was frozen may have come
    // with no `storage` event (Firefox 153 and WebKitGTK 2.50 send none): read the key again.
    if (event.type == 'pageshow') {
      const raw = this.area.getItem(this.key);
      if (raw !== this.raw) this.adopt(raw, raw === null, false);
    } else if (event.storageArea !== this.area) return;
    else if (event.key === null) {
      this.adopt(null, false, true);
    } else if (event.key === this.key) {
      this.adopt(event.newValue, event.newValue === null, false);
    } else if (this.pendingRaw !== undefined) {
      this.commit(this.pendingRaw);
    }
  };
}

export interface StorageSyncElement<T = unknown> {
  addEventListener: TypedEventTarget<StorageSyncEventMap<T>>['addEventListener'];
  removeEventListener: TypedEventTarget<StorageSyncEventMap<T>>['removeEventListener'];
}

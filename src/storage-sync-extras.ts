/**
 * `<storage-sync>`'s optional parts, loaded on first use (`version`, `max-age`,
 * `merge-defaults`, `throttle`, a `serializer`): versioned values with a one-time migration,
 * expiry, custom serialisation and throttled form writes. Without any of them the element never
 * loads this and stores exactly what it did before.
 *
 * With `version` or `max-age` the stored string is an envelope (JSON):
 * `{"version":2,"expires":1767225600000,"data":"<the string stored without it>"}` — `version`
 * only with `version`, `expires` (ms since the epoch) only with `max-age`.
 */
import { ParseError, decode, encode, type StorageValueType } from './internal/storage-codec.js';
import { ValueChangeEvent } from './internal/events.js';

/** How a `<storage-sync>` value becomes a string and back (e.g. for `Date`, `Map`, `Set`). */
export interface StorageSerializer {
  parse(raw: string): unknown;
  stringify(value: unknown): string;
}

/**
 * Turns a value stored by an older release (`fromVersion`; 0 before `version` was set) into
 * today's shape; may return a Promise (as zustand's `persist` allows), awaited before the element
 * opens.
 */
export type StorageMigration = (oldValue: unknown, fromVersion: number) => unknown;

/**
 * An async migration's result, or a rejection after `MIGRATE_TIMEOUT`: one that never settles
 * would hold the key's Web Lock, so neither this element nor any tab of the key would open.
 */
const settled = (result: unknown): Promise<unknown> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    result,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`it did not settle within ${MIGRATE_TIMEOUT} ms`)),
        MIGRATE_TIMEOUT,
      );
    }),
  ]).finally(() => clearTimeout(timer));
};

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  !!value && typeof (value as PromiseLike<unknown>).then === 'function';

/** What the extras need of their element. */
export interface ExtrasHost {
  readonly key: string;
  readonly storage: 'local' | 'session';
  readonly value: unknown;
  readonly serializer?: StorageSerializer;
  readonly migrate?: StorageMigration;
  getAttribute(name: string): string | null;
  removeValue(): void;
  fallback(): unknown;
}

/** The element's own `emit` and `fail`, reached from here. */
interface Reporter {
  emit(event: Event): void;
  fail(code: string, message: string, init?: { cause?: unknown }): void;
}

interface Envelope {
  version?: number;
  expires?: number;
  data: string;
}

/** The longest delay `setTimeout` keeps (about 24.8 days); a later expiry is re-armed. */
const MAX_DELAY = 2 ** 31 - 1;
/** An async `migrate` that has not settled after this long (ms) is `migrate-failed`. */
const MIGRATE_TIMEOUT = 10_000;

/** Attribute values that are not what they must be (read as 0 meanwhile). */
type Invalid = string[];

/** A number ≥ 0 (a whole one for `version`); absent is 0; anything else is listed in `invalid`. */
const number = (host: ExtrasHost, name: string, invalid: Invalid, whole = false): number => {
  const raw = host.getAttribute(name);
  if (raw === null) return 0;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (value >= 0 && Number.isFinite(value) && (!whole || Number.isInteger(value))) return value;
  invalid.push(`${name}="${raw}"`);
  return 0;
};

export class StorageSyncExtras {
  readonly version: number;
  readonly maxAge: number;
  readonly mergeDefaults: boolean;
  readonly throttleMs: number;
  /** Bad attribute values: the element reports `invalid-attribute` and stays closed. */
  readonly invalid: Invalid = [];
  /** The stored value comes from a newer release: the element works in memory. */
  ahead = false;
  private expiry?: ReturnType<typeof setTimeout>;
  private wait?: ReturnType<typeof setTimeout>;
  private queued?: () => void;

  private readonly host: ExtrasHost;

  constructor(host: object) {
    this.host = host as ExtrasHost;
    this.version = number(this.host, 'version', this.invalid, true);
    this.maxAge = number(this.host, 'max-age', this.invalid);
    this.mergeDefaults = this.host.getAttribute('merge-defaults') !== null;
    this.throttleMs = number(this.host, 'throttle', this.invalid);
  }

  private get area(): Storage {
    return this.host.storage === 'session' ? sessionStorage : localStorage;
  }

  private get enveloped(): boolean {
    return this.version > 0 || this.maxAge > 0;
  }

  /**
   * Runs before the element reads storage: a value from an older release is migrated and written
   * back once, under a Web Lock per key, so of tabs that open together one migrates and the
   * others read its result.
   */
  async prepare(type: StorageValueType): Promise<void> {
    if (!this.version) return;
    const migrateOnce = async (): Promise<void> => {
      let raw: string | null;
      try {
        raw = this.area.getItem(this.host.key);
      } catch {
        return; // storage unavailable: the element reports it
      }
      if (raw === null) return;
      const stored = this.unwrap(raw);
      const from = stored.version ?? 0;
      if (from > this.version) this.isAhead(from);
      if (from >= this.version) return;
      try {
        // Awaited under the lock: an async migration is never stored as its Promise ("{}").
        const plain = this.plain(stored.data, type);
        const value = this.host.migrate ? await settled(this.host.migrate(plain, from)) : plain;
        // Written by another tab meanwhile (an older release, without the lock): theirs stays,
        // and is migrated as it is read.
        if (this.area.getItem(this.host.key) !== raw) return;
        this.area.setItem(
          this.host.key,
          this.wrap(this.serialize(value, type), stored.expires ?? this.expires()),
        );
      } catch (error) {
        this.leaveAlone('migrate-failed', `v${from} could not be migrated: ${error}`);
      }
    };
    const locks = globalThis.navigator?.locks;
    if (!locks) return migrateOnce();
    await locks.request(
      `realtime-elements:storage-sync:${this.host.storage}:${this.host.key}`,
      migrateOnce,
    );
  }

  /** The value for a stored string (an envelope or, from before `version`, a plain one). */
  readonly decode = (raw: string, type: StorageValueType): unknown => {
    const { version = 0, expires, data } = this.unwrap(raw);
    clearTimeout(this.expiry);
    if (expires !== undefined) {
      const left = expires - Date.now();
      // Expired: the default now; removed (and announced) in a moment, in every tab.
      this.expiry = setTimeout(() => this.expire(raw), Math.min(Math.max(left, 0), MAX_DELAY));
      if (left <= 0) return this.host.fallback();
    }
    if (this.version && version > this.version) {
      this.isAhead(version);
      return this.host.fallback();
    }
    let value = this.plain(data, type);
    if (version < this.version) {
      try {
        value = this.migrated(value, version);
      } catch (error) {
        this.leaveAlone('migrate-failed', `v${version} could not be migrated: ${error}`);
        return this.host.fallback();
      }
    }
    const defaults = this.host.fallback();
    if (this.mergeDefaults && isPlain(value) && isPlain(defaults))
      value = { ...defaults, ...value };
    return value;
  };

  /** The stored string for a value. */
  readonly encode = (value: unknown, type: StorageValueType): string =>
    this.wrap(this.serialize(value, type), this.expires());

  /** `{ expired: true }` when the value `raw` was removed because it expired. */
  expired(oldRaw: string | null, raw: string | null): { expired: true } | undefined {
    if (raw !== null || oldRaw === null) return;
    const { expires } = this.unwrap(oldRaw);
    // Another tab's timer fired first; clocks of one machine agree, with a little tolerance.
    if (expires !== undefined && expires <= Date.now() + 1000) return { expired: true };
  }

  /** Form writes while typing: the first at once, then at most one per `throttle` ms (the last). */
  throttle(write: () => void): void {
    if (!this.throttleMs) return write();
    if (this.wait) {
      this.queued = write;
      return;
    }
    write();
    addEventListener('pagehide', this.flush);
    this.wait = setTimeout(() => {
      this.wait = undefined;
      removeEventListener('pagehide', this.flush);
      const queued = this.queued;
      this.queued = undefined;
      if (queued) this.throttle(queued);
    }, this.throttleMs);
  }

  /** Writes what the throttle holds now (the element closes, the page goes away). */
  readonly flush = (): void => {
    clearTimeout(this.wait);
    this.wait = undefined;
    removeEventListener('pagehide', this.flush);
    const queued = this.queued;
    this.queued = undefined;
    queued?.();
  };

  stop(): void {
    this.flush();
    clearTimeout(this.expiry);
  }

  private isAhead(version: number): void {
    this.leaveAlone(
      'version-ahead',
      `stored by version ${version}; this page knows ${this.version}`,
    );
  }

  /** What is stored is left as it is; the element works with the default in memory. */
  private leaveAlone(code: string, why: string): void {
    if (this.ahead) return;
    this.ahead = true;
    (this.host as unknown as Reporter).fail(
      code,
      `"${this.host.key}" ${why}: left alone, the default used in memory.`,
    );
  }

  private expire(raw: string): void {
    let current: string | null = null;
    try {
      current = this.area.getItem(this.host.key);
    } catch {
      return;
    }
    // Written again (or removed) meanwhile: that value has its own expiry.
    if (current !== raw) return;
    const oldValue = this.host.value;
    this.host.removeValue();
    (this.host as unknown as Reporter).emit(
      Object.assign(new ValueChangeEvent(this.host.value, oldValue, this.host.key, true), {
        expired: true,
      }),
    );
  }

  private expires(): number | undefined {
    return this.maxAge > 0 ? Date.now() + this.maxAge : undefined;
  }

  /** Read (not at open): a value an older release wrote since; an async migration cannot run here. */
  private migrated(value: unknown, from: number): unknown {
    const result = this.host.migrate ? this.host.migrate(value, from) : value;
    if (isThenable(result)) throw new TypeError('an async migrate only runs as the element opens');
    return result;
  }

  private serialize(value: unknown, type: StorageValueType): string {
    const { serializer } = this.host;
    if (!serializer) return encode(value, type);
    const raw = serializer.stringify(value);
    if (typeof raw !== 'string') throw new TypeError('serializer.stringify must return a string');
    return raw;
  }

  private plain(data: string, type: StorageValueType): unknown {
    const { serializer } = this.host;
    if (!serializer) return decode(data, type);
    try {
      return serializer.parse(data);
    } catch (error) {
      throw new ParseError(`serializer.parse failed: ${(error as Error)?.message ?? error}`);
    }
  }

  private wrap(data: string, expires: number | undefined): string {
    if (!this.enveloped) return data;
    const envelope: Envelope = { data };
    if (this.version) envelope.version = this.version;
    if (expires !== undefined) envelope.expires = expires;
    // `data` last, so the small fields read first.
    return JSON.stringify({ version: envelope.version, expires: envelope.expires, data });
  }

  /** A stored string as an envelope; a plain one (written without `version`) is version 0. */
  private unwrap(raw: string): Envelope {
    if (this.enveloped) {
      try {
        const parsed = JSON.parse(raw) as Partial<Envelope> | null;
        if (
          parsed &&
          typeof parsed === 'object' &&
          typeof parsed.data === 'string' &&
          (typeof parsed.version === 'number' || typeof parsed.expires === 'number')
        ) {
          return parsed as Envelope;
        }
      } catch {
        // not an envelope
      }
    }
    return { data: raw };
  }
}

const isPlain = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/** The element's internals the extras wrap (private in its class). */
interface Internals extends ExtrasHost, Reporter {
  x?: unknown;
  area?: Storage | null;
  raw: string | null;
  type: StorageValueType;
  isConnected: boolean;
  disabled: boolean;
  acquire(): void;
  release(): void;
  form(): boolean;
  dec(raw: string): unknown;
  enc(value: unknown): string;
  commit(raw: string | null): void;
  adopt(raw: string | null, removed: boolean, cleared: boolean): void;
}

/**
 * Loads the extras into an element (once in its life: the attributes are read as it first
 * opens), then opens it. The element's core keeps no hooks for them: they wrap its internals
 * here, so the core stays as small as it was.
 */
export async function extend(element: object): Promise<void> {
  const host = element as Internals;
  const x = new StorageSyncExtras(host);
  if (x.invalid.length) {
    host.x = undefined; // read again when it re-opens
    host.fail(
      'invalid-attribute',
      `Bad ${x.invalid.join(', ')}: a version is a whole number ≥ 0, max-age and throttle ms ≥ 0.`,
    );
    return;
  }
  await x.prepare(host.type);
  if (!host.isConnected || host.disabled || host.area !== undefined) {
    host.x = undefined; // loads again when it opens
    return;
  }
  host.x = true;
  const type = (): StorageValueType => (host.form() ? 'json' : host.type);
  host.dec = (raw) => x.decode(raw, type());
  host.enc = (value) => x.encode(value, type());
  const { commit, adopt, emit, release } = host;
  host.commit = (raw) => {
    const { key, storage } = host;
    x.throttle(() => {
      if (host.key === key && host.storage === storage) return commit.call(host, raw);
      // Held while the page switched `key` (flushed as the element re-opens): it belongs to the
      // key it was typed for, never to the new one. Other tabs hear it; a full area drops it.
      try {
        const area = storage === 'session' ? sessionStorage : localStorage;
        if (raw === null) area.removeItem(key);
        else area.setItem(key, raw);
      } catch (error) {
        host.fail('quota-exceeded', `Storage full: a held write to "${key}" was lost.`, {
          cause: error,
        });
      }
    });
  };
  host.release = () => {
    x.stop();
    release.call(host);
  };
  let expired: { expired: true } | undefined;
  host.adopt = (raw, removed, cleared) => {
    expired = x.expired(host.raw, raw);
    try {
      adopt.call(host, raw, removed, cleared);
    } finally {
      expired = undefined;
    }
  };
  host.emit = (event) =>
    emit.call(
      host,
      expired && event.type === 'valuechange' ? Object.assign(event, expired) : event,
    );
  // A value from a newer release is left alone: the element works in memory (`state="memory"`).
  let area: Storage | null | undefined = host.area;
  Object.defineProperty(host, 'area', {
    configurable: true,
    get: () => area,
    set: (value: Storage | null | undefined) => (area = value && x.ahead ? null : value),
  });
  host.acquire();
}

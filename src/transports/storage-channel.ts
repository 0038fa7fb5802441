import {
  FallbackChannel,
  channelKey,
  channelName,
  deliverHere,
  membersOfKind,
} from './fallback-channel.js';
import { SequenceTracker } from './sequence-tracker.js';
import { toJson } from './json-message.js';
import { randomId } from '../internal/random-id.js';

const PREFIX = 'realtime-elements/tab-channel:';
/**
 * Keys of writers that vanished without closing (a crash) are swept after this long, by the
 * wall clock: a clock step forward may sweep a live key early, which loses nothing (the
 * `storage` event of each write carries its own value, and the next write puts the key back).
 */
const STALE_AFTER = 60 * 60 * 1000;

interface Entry {
  /** the channel name */
  c: string;
  /** sequence number of this global's writes */
  q: number;
  /** time written, only for the sweep of stale keys */
  t: number;
  d: unknown;
}

/** This global's key: every channel here writes through it, so its posts keep their order. */
const ownKey = PREFIX + randomId();
let seq = 0;
let open = 0;
const tracker = new SequenceTracker();

function parse(raw: string | null): Entry | undefined {
  if (raw === null) return undefined;
  try {
    const entry = JSON.parse(raw) as Entry;
    return typeof entry?.q === 'number' && typeof entry.c === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

function onStorage(event: StorageEvent): void {
  const key = event.key;
  if (event.storageArea !== localStorage || !key?.startsWith(PREFIX) || event.newValue === null) {
    return;
  }
  const raw = event.newValue;
  const entry = parse(raw);
  const origin = new URL(event.url).origin;
  if (!entry) {
    for (const channel of membersOfKind('storage')) channel.dispatchUnreadable(origin);
    return;
  }
  if (!tracker.fresh(key, entry.q)) return;
  deliverHere(
    channelKey('storage', entry.c),
    () => (JSON.parse(raw) as Entry).d,
    origin,
    // A write made before the channel existed is not its to receive, even when its event
    // comes after.
    (channel) => entry.q > ((channel as StorageChannel).floor.get(key) ?? 0),
  );
}

const removeOwnKey = () => localStorage.removeItem(ownKey);

/**
 * Messages through `localStorage`: each global (page, frame) owns one key
 * (`realtime-elements/tab-channel:<id>`) and overwrites it per message; other tabs and frames
 * read each new value from their `storage` event (HTML, Web storage: every change queues a
 * `storage` event that carries its own `newValue`, so overwriting the key loses nothing, and the
 * events of one storage area arrive in the order of the changes). The key is removed when the
 * last channel here closes and on `pagehide`. Data travels as JSON, so a message must
 * round-trip through JSON unchanged (else `DataCloneError`).
 */
export class StorageChannel extends FallbackChannel {
  /** The sequence number each key stood at when this channel was made. */
  readonly floor = new Map<string, number>();

  constructor(name: string) {
    super(channelName(arguments.length, name), 'storage');
    if (typeof localStorage === 'undefined') {
      throw new DOMException(
        'localStorage is not available here (a worker?).',
        'NotSupportedError',
      );
    }
    // Reading throws SecurityError where storage is blocked, before anything is registered.
    const now = Date.now();
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      const entry = parse(localStorage.getItem(key));
      if (!entry) continue;
      // The start covers every key, also one the wall clock calls stale (a clock stepped
      // ahead sweeps live keys too): what was written before this channel never reaches it.
      this.floor.set(key, entry.q);
      if (key !== ownKey && now - entry.t > STALE_AFTER) localStorage.removeItem(key);
    }
    if (!open++) {
      addEventListener('storage', onStorage);
      addEventListener('pagehide', removeOwnKey);
    }
    this.join();
  }

  protected write(message: unknown): () => unknown {
    const text = toJson(message);
    const entry = `{"c":${JSON.stringify(this.name)},"q":${seq + 1},"t":${Date.now()},"d":${text}}`;
    // QuotaExceededError propagates: the caller learns at once that nothing was sent.
    localStorage.setItem(ownKey, entry);
    seq++;
    return () => JSON.parse(text) as unknown;
  }

  protected shutdown(): void {
    if (--open) return;
    removeEventListener('storage', onStorage);
    removeEventListener('pagehide', removeOwnKey);
    removeOwnKey();
  }
}

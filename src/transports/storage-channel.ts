import { FallbackChannel, SequenceTracker, toJson } from './fallback-channel.js';

const PREFIX = 'realtime-elements/tab-channel:';
/** Keys of writers that vanished without closing (a crash) are swept after this long. */
const STALE_AFTER = 60 * 60 * 1000;

interface Entry {
  /** the channel name */
  c: string;
  /** sequence number per writer */
  q: number;
  /** time written, for the sweep of stale keys */
  t: number;
  d: unknown;
}

const keyOf = (sender: string) => PREFIX + sender;

function parse(raw: string | null): Entry | undefined {
  if (raw === null) return undefined;
  try {
    const entry = JSON.parse(raw) as Entry;
    return typeof entry?.q === 'number' && typeof entry.c === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Messages through `localStorage`: each writer owns one key (`realtime-elements/tab-channel:<writer id>`) and
 * overwrites it per message; other tabs read each new value from their `storage` event
 * (HTML, Web storage: every change queues a `storage` event that carries its own `newValue`,
 * so overwriting the key loses nothing). The key is
 * removed on close and on `pagehide`. Data travels as JSON.
 */
export class StorageChannel extends FallbackChannel {
  private seq = 0;
  private readonly tracker = new SequenceTracker();
  private readonly onStorage = (event: StorageEvent) => this.read(event);
  private readonly onPageHide = () => localStorage.removeItem(keyOf(this.sender));

  constructor(name: string) {
    super(name, 'storage');
    // Throws SecurityError where storage is blocked, before any listener is added.
    this.sweep();
    addEventListener('storage', this.onStorage);
    addEventListener('pagehide', this.onPageHide);
  }

  protected write(data: unknown): () => unknown {
    const entry: Entry = { c: this.name, q: this.seq + 1, t: Date.now(), d: data };
    const text = toJson(entry);
    // QuotaExceededError propagates: the caller learns at once that nothing was sent.
    localStorage.setItem(keyOf(this.sender), text);
    this.seq++;
    return () => (JSON.parse(text) as Entry).d;
  }

  protected shutdown(): void {
    removeEventListener('storage', this.onStorage);
    removeEventListener('pagehide', this.onPageHide);
    localStorage.removeItem(keyOf(this.sender));
  }

  private read(event: StorageEvent): void {
    const key = event.key;
    if (event.storageArea !== localStorage || !key?.startsWith(PREFIX) || event.newValue === null) {
      return;
    }
    const entry = parse(event.newValue);
    const origin = new URL(event.url).origin;
    if (!entry) {
      this.receiveUnreadable(origin);
      return;
    }
    if (entry.c === this.name && this.tracker.fresh(key, entry.q)) this.receive(entry.d, origin);
  }

  /** Removes the keys of writers that were never closed (a tab that crashed). */
  private sweep(): void {
    const now = Date.now();
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      const entry = parse(localStorage.getItem(key));
      if (entry && now - entry.t > STALE_AFTER) localStorage.removeItem(key);
    }
  }
}

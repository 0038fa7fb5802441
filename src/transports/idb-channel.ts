import { FallbackChannel, type FallbackChannelOptions } from './fallback-channel.js';

const DB_NAME = 'realtime-elements-tab-channel';
const STORE = 'messages';
/** How often readers look for new messages, in ms. */
const POLL_INTERVAL = 100;
/** How often a reader deletes expired messages, in ms. */
const SWEEP_INTERVAL = 10_000;
/** Posts held while the database opens. */
const PENDING_LIMIT = 1000;

interface Row {
  /** key: one counter for the whole store, so rows sort in the order they were written */
  id?: number;
  /** channel name */
  c: string;
  /** writer id */
  s: string;
  /** writer origin */
  o: string;
  /** time written, for the TTL */
  t: number;
  d: unknown;
}

const promised = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

function openDatabase(): Promise<IDBDatabase> {
  const request = indexedDB.open(DB_NAME, 1);
  request.onupgradeneeded = () => {
    const store = request.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    store.createIndex('channel', ['c', 'id']);
    store.createIndex('time', 't');
  };
  return promised(request);
}

const storeFailureCode = (error: DOMException | null) =>
  error?.name === 'QuotaExceededError' ? 'quota-exceeded' : 'message-lost';

/**
 * Messages through IndexedDB, for contexts without `BroadcastChannel` (and any worker: it
 * uses neither `window` nor `document`). Writers add rows; readers poll every 100 ms for rows
 * of their channel written after they opened, in the store's write order. Rows older than
 * `ttl` are deleted by whichever reader sweeps next, so nothing grows without bound.
 *
 * ```js
 * import { IdbChannel } from 'realtime-elements/transports/idb-channel';
 * const channel = new IdbChannel('jobs');
 * channel.onmessage = (event) => console.log(event.data);
 * channel.postMessage({ done: 42 });
 * ```
 */
export class IdbChannel extends FallbackChannel {
  private db?: IDBDatabase;
  private pending: Row[] = [];
  private lastId = 0;
  private lastSweep = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly ttl: number;
  /**
   * When this channel was made: it reads what was written from then on, including rows stored
   * while its database was still opening.
   */
  private readonly since = Date.now();

  constructor(name: string, options: FallbackChannelOptions = {}) {
    super(name, 'idb');
    if (typeof indexedDB === 'undefined') {
      throw new DOMException('IndexedDB is not available here.', 'NotSupportedError');
    }
    this.ttl = options.ttl ?? 60_000;
    void this.open();
  }

  protected write(data: unknown): undefined {
    const row: Row = { c: this.name, s: this.sender, o: this.origin(), t: Date.now(), d: data };
    // Cloning now makes an uncloneable value throw DataCloneError in the caller, and freezes the
    // value as it was when posted.
    row.d = structuredClone(data);
    if (this.db) this.store([row]);
    else if (this.pending.length < PENDING_LIMIT) this.pending.push(row);
    else {
      throw new DOMException(
        `${PENDING_LIMIT} messages are already waiting for IndexedDB to open.`,
        'QuotaExceededError',
      );
    }
    // Channels in this global read the row in their next poll, like other tabs.
    return undefined;
  }

  protected shutdown(): void {
    clearTimeout(this.timer);
    // close() lets the transactions already started (the last posts) finish first.
    this.db?.close();
  }

  private async open(): Promise<void> {
    try {
      const db = await openDatabase();
      if (this.closed) {
        // Posts made before close() are still delivered, as with BroadcastChannel.
        this.db = db;
        this.store(this.pending);
        db.close();
        return;
      }
      db.onversionchange = () => db.close();
      this.lastId = await this.lastRowBefore(db, this.since);
      this.db = db;
      this.store(this.pending);
      this.pending = [];
      this.schedule();
    } catch (error) {
      this.report('unsupported', `IndexedDB could not be opened: ${(error as Error)?.message}`);
    }
  }

  private store(rows: Row[]): void {
    if (!rows.length) return;
    const tx = this.db!.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    for (const row of rows) store.add(row);
    tx.onabort = () =>
      this.report(
        storeFailureCode(tx.error),
        `${rows.length} message(s) were not stored: ${tx.error}`,
      );
  }

  private schedule(): void {
    if (!this.closed) this.timer = setTimeout(() => void this.poll(), POLL_INTERVAL);
  }

  private range(after: number): IDBKeyRange {
    return IDBKeyRange.bound([this.name, after], [this.name, Infinity], true);
  }

  /**
   * The id of the newest row of this channel written before `time`: other tabs may post between
   * `new IdbChannel()` and the database opening, and those rows are ours to read.
   */
  private lastRowBefore(db: IDBDatabase, time: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = db
        .transaction(STORE)
        .objectStore(STORE)
        .index('channel')
        .openCursor(this.range(0), 'prev');
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const cursor = request.result;
        if (!cursor) resolve(0);
        else if ((cursor.value as Row).t < time) resolve(cursor.primaryKey as number);
        else cursor.continue();
      };
    });
  }

  private async poll(): Promise<void> {
    const db = this.db!;
    try {
      const rows = (await promised(
        db.transaction(STORE).objectStore(STORE).index('channel').getAll(this.range(this.lastId)),
      )) as Row[];
      for (const row of rows) {
        this.lastId = row.id!;
        // A writer whose database opened late stores its early posts after newer rows.
        if (row.s !== this.sender && row.t >= this.since) this.receive(row.d, row.o);
      }
      if (Date.now() - this.lastSweep > SWEEP_INTERVAL) this.sweep(db);
    } catch (error) {
      // The database was closed under us (deleted by the page, or our own close()).
      if (!this.closed) {
        this.report('unsupported', `IndexedDB stopped working: ${(error as Error)?.message}`);
      }
      return;
    }
    this.schedule();
  }

  private sweep(db: IDBDatabase): void {
    this.lastSweep = Date.now();
    const tx = db.transaction(STORE, 'readwrite');
    tx
      .objectStore(STORE)
      .index('time')
      .openCursor(IDBKeyRange.upperBound(this.lastSweep - this.ttl)).onsuccess = function () {
      const cursor = this.result;
      if (!cursor) return;
      cursor.delete();
      cursor.continue();
    };
  }
}

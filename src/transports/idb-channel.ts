import {
  FallbackChannel,
  channelKey,
  channelName,
  deliverHere,
  membersOfKind,
  type FallbackChannelOptions,
} from './fallback-channel.js';
import { deliver } from './delivery-queue.js';
import { SequenceTracker } from './sequence-tracker.js';
import { randomId } from '../internal/random-id.js';

const DB_NAME = 'realtime-elements-tab-channel';
const STORE = 'messages';
/** How often readers look for new messages, in ms. */
const POLL_INTERVAL = 100;
/** At most this long between two marks of the sweep, in ms. */
const MARK_INTERVAL = 10_000;
/** Posts held while the database opens. */
const PENDING_LIMIT = 1000;
/**
 * An open still pending after this long, in ms, is reported: it waits behind a delete or an
 * upgrade that a connection ignoring `versionchange` (an old tab) blocks, and IndexedDB tells
 * only the deleter (`blocked`), never the opens queued behind it.
 */
const OPEN_STALLED_AFTER = 5000;

interface Row {
  /** key: one counter for the whole store, so rows sort in the order they were written */
  id?: number;
  /** channel name */
  c: string;
  /** the writing global (page, frame, worker) */
  s: string;
  /** writer origin */
  o: string;
  /**
   * the writer's own count of its rows on this channel, 1, 2, 3…: a reader tells rows swept
   * before it read them, and only that channel's listeners hear of it
   */
  q?: number;
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
    // Written by earlier versions (a wall-clock TTL); kept so their databases need no upgrade.
    store.createIndex('time', 't');
  };
  return promised(request);
}

/**
 * This global's one connection, write queue and reader: every channel here writes through it,
 * so rows are stored in posting order, and one poll delivers each row to the channels here in
 * creation order.
 */
const writer = randomId();
let db: IDBDatabase | undefined;
let opening: Promise<void> | undefined;
let pending: Row[] = [];
let open = 0;
/** How many rows this global has written, per channel name. */
const written = new Map<string, number>();
/** The last row number read of each other writer. */
let tracker = new SequenceTracker();
/** The newest row id this global has read. */
let cursor = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Channels waiting for the id they start reading after. */
const joining = new Set<Promise<void>>();
/**
 * The sweep: every mark is the newest id read at a time on the monotonic clock
 * (`performance.now()`, which wall-clock steps do not move); rows up to a mark are deleted once
 * it is `ttl` old, so no TTL decision depends on the wall clock.
 */
const marks: { id: number; at: number }[] = [];

const channels = () => membersOfKind('idb') as IdbChannel[];

/** Callers of `caughtUp()`, served by the next poll that starts (or all at once when none will). */
const waiting: (() => void)[] = [];
const serveAll = () => waiting.splice(0).forEach((resolve) => resolve());

function failAll(error: unknown, what: string): void {
  serveAll();
  for (const channel of channels()) {
    channel.report('unsupported', `IndexedDB ${what}: ${(error as Error)?.message}`);
  }
}

/** The id of the newest row in the store (0 when empty). */
async function lastId(connection: IDBDatabase): Promise<number> {
  const request = connection.transaction(STORE).objectStore(STORE).openKeyCursor(null, 'prev');
  return ((await promised(request))?.primaryKey as number | undefined) ?? 0;
}

/** Whether `cursor` holds a place in the store (a reconnection goes on from there). */
let placed = false;

function connect(): Promise<void> {
  opening ??= (async () => {
    const stalled = setTimeout(
      () =>
        failAll(
          new Error(
            `not opened after ${OPEN_STALLED_AFTER} ms: another connection (a tab that ignores versionchange) blocks a delete or upgrade; still waiting`,
          ),
          'is blocked',
        ),
      OPEN_STALLED_AFTER,
    );
    try {
      const connection = await openDatabase().finally(() => clearTimeout(stalled));
      // Another page deletes or upgrades the database, or the browser closes the connection
      // (Safari does, under memory pressure): let it happen, then open again and read on.
      connection.onversionchange = () => reconnect(connection);
      connection.onclose = () => reconnect(connection);
      const newest = await lastId(connection);
      if (!placed) cursor = newest;
      else if (newest < cursor) {
        // The database was deleted and made anew: its ids start again, and every row in it
        // was written after what this global read.
        cursor = 0;
        for (const channel of channels()) channel.after = Math.min(channel.after, 0);
      }
      placed = true;
      db = connection;
      store(pending);
      pending = [];
      if (open) schedule();
      else release();
    } catch (error) {
      opening = undefined;
      failAll(error, 'could not be opened');
      throw error;
    }
  })();
  return opening;
}

function reconnect(connection: IDBDatabase): void {
  connection.close();
  if (db !== connection) return;
  clearTimeout(timer);
  db = opening = timer = undefined;
  if (open) void connect().catch(() => undefined);
}

/** Closes the connection once nothing here uses it (close() lets the last writes finish). */
function release(): void {
  serveAll();
  clearTimeout(timer);
  timer = undefined;
  db?.close();
  db = opening = undefined;
  placed = false;
  marks.length = 0;
  // What a later channel reads starts after the newest row then: no gap counts from before.
  tracker = new SequenceTracker();
}

function store(rows: Row[]): void {
  if (!rows.length) return;
  const tx = db!.transaction(STORE, 'readwrite');
  const objects = tx.objectStore(STORE);
  for (const row of rows) objects.add(row);
  tx.onabort = () => {
    const code = tx.error?.name === 'QuotaExceededError' ? 'quota-exceeded' : 'message-lost';
    for (const channel of channels()) {
      channel.report(code, `${rows.length} message(s) were not stored: ${tx.error}`);
    }
  };
}

function schedule(): void {
  if (open && db && !timer) {
    const mine = setTimeout(() => {
      void poll().finally(() => {
        // A release() or reconnect() while this poll read ended this loop, and a connection
        // opened since may have started another: two loops would read the same rows twice.
        if (timer !== mine) return;
        timer = undefined;
        schedule();
      });
    }, POLL_INTERVAL);
    timer = mine;
  }
}

async function poll(): Promise<void> {
  // What `caughtUp()` waits for: this poll's deliveries, queued before the callers are served.
  const served = waiting.splice(0);
  try {
    await read();
  } finally {
    for (const resolve of served) deliver(resolve);
  }
}

async function read(): Promise<void> {
  // A channel starts after the newest id when it was made: its start must be known first.
  await Promise.all(joining);
  const connection = db;
  if (!connection) return;
  let rows: Row[];
  try {
    rows = (await promised(
      connection.transaction(STORE).objectStore(STORE).getAll(IDBKeyRange.lowerBound(cursor, true)),
    )) as Row[];
  } catch {
    // The connection was closed under us: open it again (it reports if that fails).
    if (db === connection) reconnect(connection);
    return;
  }
  /** Rows swept before they were read here, per channel name. */
  const missed = new Map<string, number>();
  for (const row of rows) {
    const id = row.id!;
    cursor = id;
    // This global's own rows reached its channels when they were posted.
    if (row.s === writer) continue;
    if (typeof row.q === 'number') {
      // A reader stalled longer than the ttl (a frozen or throttled tab) finds rows of a writer
      // it knows already deleted: that is reported, never a silent gap.
      const key = `${row.s}\n${row.c}`;
      const gap = tracker.known(key) ? row.q - tracker.seen(key) - 1 : 0;
      if (gap > 0) missed.set(row.c, (missed.get(row.c) ?? 0) + gap);
      tracker.fresh(key, row.q);
    }
    const data = row.d;
    deliverHere(
      channelKey('idb', row.c),
      () => structuredClone(data),
      row.o,
      (channel) => (channel as IdbChannel).after < id,
    );
  }
  for (const channel of channels()) {
    const lost = missed.get(channel.name);
    if (lost) {
      channel.report(
        'message-lost',
        `${lost} message(s) from another context were deleted (ttl) before this one read them (a hung or throttled tab).`,
      );
    }
  }
  sweep(connection);
}

function sweep(connection: IDBDatabase): void {
  // The last channel closed (or another page deleted the database) while this poll read.
  if (db !== connection) return;
  const now = performance.now();
  const ttl = Math.max(...channels().map((channel) => channel.ttl), 0);
  const last = marks[marks.length - 1];
  if (!last || now - last.at >= Math.min(MARK_INTERVAL, ttl)) marks.push({ id: cursor, at: now });
  let upTo = 0;
  while (marks.length && now - marks[0].at >= ttl) upTo = marks.shift()!.id;
  if (!upTo) return;
  try {
    connection
      .transaction(STORE, 'readwrite')
      .objectStore(STORE)
      .delete(IDBKeyRange.upperBound(upTo));
  } catch {
    // The browser closed the connection under us (Safari does): open it again, sweep next poll.
    reconnect(connection);
  }
}

/**
 * Messages through IndexedDB, for contexts without `BroadcastChannel` (and any worker: it
 * uses neither `window` nor `document`). Each global stores its posts as rows in posting order
 * and polls every 100 ms for rows of other globals; a channel receives the rows written after
 * it was made (after `ready`: its database is open and the newest row known). Rows are deleted
 * by the next poll once `ttl` has passed on the monotonic clock, so nothing grows without bound
 * and no wall-clock step changes what is delivered; a reader that finds rows deleted before it
 * read them (stalled longer than `ttl`) gets an `error` event with code `message-lost`.
 *
 * ```js
 * import { IdbChannel } from 'realtime-elements/transports/idb-channel';
 * const channel = new IdbChannel('jobs');
 * channel.onmessage = (event) => console.log(event.data);
 * channel.postMessage({ done: 42 });
 * ```
 */
export class IdbChannel extends FallbackChannel {
  /** How long rows are kept for slow readers, in ms. */
  readonly ttl: number;
  /** @internal The newest row id when this channel was made: it reads the rows after it. */
  after = Infinity;
  override readonly ready: Promise<void>;

  constructor(name: string, options: FallbackChannelOptions = {}) {
    super(channelName(arguments.length, name), 'idb');
    if (typeof indexedDB === 'undefined') {
      throw new DOMException('IndexedDB is not available here.', 'NotSupportedError');
    }
    this.ttl = options.ttl ?? 60_000;
    open++;
    const start = (async () => {
      await connect();
      // Polls wait for `after`, so no row written after this channel is read before it is known.
      this.after = db ? await lastId(db) : Infinity;
    })();
    const settled = start.catch(() => undefined).finally(() => joining.delete(settled));
    joining.add(settled);
    this.ready = start;
    this.ready.catch(() => undefined);
    this.join();
  }

  protected write(message: unknown): () => unknown {
    // Cloning now makes an uncloneable value throw DataCloneError in the caller, and freezes the
    // value as it was when posted.
    const data = structuredClone(message);
    if (!db && pending.length >= PENDING_LIMIT) {
      throw new DOMException(
        `${PENDING_LIMIT} messages are already waiting for IndexedDB to open.`,
        'QuotaExceededError',
      );
    }
    const q = (written.get(this.name) ?? 0) + 1;
    written.set(this.name, q);
    const row: Row = { c: this.name, s: writer, o: this.origin(), q, d: data };
    if (db) store([row]);
    else pending.push(row);
    if (!opening) void connect().catch(() => undefined);
    return () => structuredClone(data);
  }

  override caughtUp(): Promise<void> {
    return open && !this.closed
      ? new Promise((resolve) => waiting.push(resolve))
      : Promise.resolve();
  }

  protected shutdown(): void {
    // Posts made before close() are still stored, as BroadcastChannel still delivers them.
    if (!--open && db) release();
  }
}

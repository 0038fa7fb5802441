import type { ChannelErrorEvent, FallbackChannelOptions } from './fallback-channel.js';

/** What `<tab-channel>` needs of a transport: the shape of `BroadcastChannel`. */
export type Channel = Pick<
  BroadcastChannel,
  'postMessage' | 'close' | 'onmessage' | 'onmessageerror'
> & {
  onerror?: ((event: ChannelErrorEvent) => unknown) | null;
  /** Resolves once the channel receives what others post (IndexedDB: its database is open). */
  ready?: Promise<void>;
};
type ChannelClass = new (name: string, options: FallbackChannelOptions) => Channel;

/** A failure to open a transport, with the `<tab-channel>` error code to report. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Each fallback is its own chunk: only the one chosen is downloaded. */
const loaders: Record<string, () => Promise<ChannelClass>> = {
  storage: () => import('./storage-channel.js').then((m) => m.StorageChannel),
  idb: () => import('./idb-channel.js').then((m) => m.IdbChannel),
  cookie: () => import('./cookie-channel.js').then((m) => m.CookieChannel),
};

const usable: Record<string, () => unknown> = {
  broadcast: () => typeof BroadcastChannel === 'function',
  storage: () => {
    // Reading localStorage throws in sandboxed frames and where storage is blocked.
    try {
      return !!localStorage;
    } catch {
      return false;
    }
  },
  idb: () => typeof indexedDB === 'object' && indexedDB,
  cookie: () => typeof document === 'object' && navigator.cookieEnabled,
};

/**
 * Opens the fallback transport `wanted` (`auto`: `cookie` with a domain, else the first usable
 * of `storage`, `idb`, `cookie`). Rejects with a `TransportError`.
 */
export async function openFallback(
  wanted: string,
  name: string,
  domain: string,
): Promise<{ kind: string; channel: Channel }> {
  // An attribute value: never looked up through the prototype chain (`transport="constructor"`).
  if (wanted !== 'auto' && !Object.hasOwn(usable, wanted)) {
    throw new TransportError(
      'invalid-attribute',
      `transport="${wanted}" is not one of auto, ${Object.keys(usable).join(', ')}.`,
    );
  }
  const kind =
    wanted !== 'auto'
      ? wanted
      : domain
        ? 'cookie'
        : Object.keys(loaders).find((candidate) => usable[candidate]());
  if (!kind || !usable[kind]()) {
    throw new TransportError(
      'unsupported',
      `The ${kind ?? wanted} transport is not available in this context.`,
    );
  }
  let Fallback: ChannelClass;
  try {
    Fallback = await loaders[kind]();
  } catch (error) {
    throw new TransportError('unsupported', `The ${kind} transport failed to load.`, {
      cause: error,
    });
  }
  try {
    return { kind, channel: new Fallback(name, { domain }) };
  } catch (error) {
    const code = (error as Error).name === 'SyntaxError' ? 'invalid-attribute' : 'unsupported';
    throw new TransportError(code, (error as Error).message, { cause: error });
  }
}

/** The error code for a post the transport refused after it had waited in the queue. */
export const postFailureCode = (error: unknown): string =>
  error instanceof RangeError
    ? 'too-large'
    : (error as Error)?.name === 'QuotaExceededError'
      ? 'quota-exceeded'
      : 'serialize-failed';

/** What `connectFallback` needs of `<tab-channel>` (some of it the element's internals). */
export interface FallbackHost {
  readonly domain: string;
  /** Posts held while the fallback loads: a new array on every close. */
  readonly queue: unknown[];
  /** The transport in use (`activeTransport`). */
  active: string;
  /** An `open` listener disabled or removed the channel. */
  readonly superseded: boolean;
  attach(channel: Channel): void;
  fail(code: string, message: string, init?: { cause?: unknown }): void;
  halt(code: string, message: string, init?: { cause?: unknown }): void;
}

/**
 * Opens the fallback `wanted` on channel `name` for `host` (see `openFallback`), waits until it
 * receives, posts what waited (`queue`, that opening's: what the transport refuses now is
 * reported, those posts were accepted earlier) and attaches it. The posts are sent even when
 * the element closed meanwhile (removed, disabled, renamed: its queue is no longer `queue`), as
 * `post()` returned: a view that posts as it mounts and unmounts at once. A failure to open
 * halts the element with the `TransportError`'s code, unless it closed meanwhile. Here rather
 * than in `<tab-channel>`, which loads it only when BroadcastChannel is not the transport: the
 * core bundle pays nothing for fallbacks.
 */
export async function connectFallback(
  host: FallbackHost,
  wanted: string,
  name: string,
  queue: unknown[],
): Promise<void> {
  const current = () => queue === host.queue;
  try {
    const { kind, channel } = await openFallback(wanted, name, host.domain);
    // What goes wrong before it opens (IndexedDB blocked by another connection) is heard too.
    channel.onerror = (event) => {
      if (current()) host.fail(event.code, event.message);
    };
    try {
      // `open` means what others post from now on arrives (IndexedDB: its database is open).
      await channel.ready;
    } catch (error) {
      channel.close();
      throw new TransportError('unsupported', (error as Error)?.message, { cause: error });
    }
    // Before `open`: a post an `open` listener makes comes after them.
    for (const data of queue.splice(0)) {
      try {
        channel.postMessage(data);
      } catch (error) {
        if (current())
          host.fail(postFailureCode(error), (error as Error).message, { cause: error });
      }
    }
    if (!current()) return channel.close();
    host.active = kind;
    host.attach(channel);
  } catch (error) {
    if (!current()) return;
    host.halt((error as { code?: string }).code ?? 'unsupported', (error as Error).message, {
      cause: error,
    });
  }
}

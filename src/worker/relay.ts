/// <reference lib="webworker" />
/**
 * The service-worker side of `<sw-relay>`: relays each page's posts to every other window
 * client of the origin (the pages filter by channel; a worker may be stopped when idle, so it
 * keeps no subscriptions of its own) and answers `request()`s over their MessageChannel.
 *
 * Exactly once across a handover (DESIGN, delivery guarantees): a browser drops, with no error,
 * what is posted to a worker in the moment it is terminated (its registration unregistered and
 * its last client claimed by a new one, an update replacing it). So a page numbers its posts per
 * sender (`n`), this worker acknowledges each to the sending page once relayed (`ack`, with its
 * own number `s`), and the page hands what was not acknowledged to the next worker; pages drop a
 * sender's number they already delivered (internal/relay-delivery.ts).
 *
 * The back/forward cache: a page in it gets nothing (Chromium's `clients.matchAll` leaves it
 * out; WebKit drops what is posted to it). So every relayed post is numbered (`s`, in this
 * worker instance `e`) and the newest `keep` are kept; a page back from the cache asks
 * (`since`) for what was relayed after the last number it saw on the channels it listens to
 * (`c`), and hears how many of those it can no longer have, per channel (`of`). The numbers and
 * channels of the posts no longer kept are remembered (the newest 10,000): past that, every
 * number forgotten counts as lost on every channel asked for (too many, never too few).
 *
 * A browser stops an idle worker (Chromium after about 30 s) and starts a new instance on the
 * next event, with nothing kept. So each instance saves its `{ e, s }` (Cache Storage, cache
 * `realtime-elements:sw-relay`, one entry per registration scope; one write at a time, the newest
 * value after it, inside the post's `waitUntil` so the worker is not stopped before it lands), and
 * a new instance reads the previous one's as it starts (a `since` waits for it). The entry also
 * has the last number of each channel (`c`, the 100 most recently used; `o`: the highest last
 * number of a channel left out). A page that had the last post of a channel it listens to missed
 * nothing of it; one behind missed up to `s` minus its number (`of`, with `upTo`). A page that
 * last heard an instance before that, or past the saved number (the save failed, or the worker
 * was killed before it landed), is told it cannot know: `restarted`.
 *
 * A `since` reply says `ack: true`: this worker acknowledges posts (and relays their numbers), so
 * a page may hand what it sent here to the next worker (internal/relay-delivery.ts).
 */

export interface RelayOptions {
  /**
   * Answers a page's `request(data)`; may be async. Default: `{ clients }`, the number of
   * window clients of the origin.
   */
  onRequest?: (data: unknown, context: { channel: string; clientId: string }) => unknown;
  /**
   * How many of the newest posts are kept for pages back from the back/forward cache (default
   * 500); older ones are reported to such a page as lost.
   */
  keep?: number;
}

/** A relayed post as kept, and as sent to a page that catches up. */
interface Kept {
  s: number;
  /** the sender's own number for it */
  n?: number;
  /** when it was made, if handed over from another worker */
  t?: number;
  channel?: string;
  sender?: string;
  data: unknown;
  /** the sending client */
  from: string;
}

interface RelayEnvelope {
  rtRelay: 1;
  kind: 'post' | 'request' | 'skip-waiting' | 'since';
  channel?: string;
  sender?: string;
  /** `post`: the sender's number for it, acknowledged once relayed */
  n?: number;
  /** `post` handed over from another worker: when it was made (ms, `Date.now()`) */
  t?: number;
  data?: unknown;
  /** `since`: the worker instance and the number of the last post the page saw */
  e?: string;
  s?: number;
  /** `since`: the channels the page listens to (none: every channel) */
  c?: unknown;
}

/**
 * A worker instance and the number of its last relayed post; the last number of each channel
 * (`c`), and the highest last number of a channel left out of `c` (`o`).
 */
interface Mark {
  e: string;
  s: number;
  c?: Record<string, number>;
  o?: number;
}

/** Numbers of posts no longer kept remembered with their channel (past it: counted on every channel). */
const DROPS = 10_000;
/** Channels whose last number is saved (the least recently used is left out first). */
const CHANNELS = 100;
/**
 * How many posts (sender and number) this instance remembers having relayed: a page that did not
 * hear the acknowledgement within its wait (a slow worker) sends a post again, and it is
 * acknowledged again rather than relayed and kept twice (two copies would push other posts out
 * of `keep` and count as lost for pages back from the back/forward cache).
 */
const RELAYED = 10_000;

const isRelayEnvelope = (value: unknown): value is RelayEnvelope =>
  !!value && typeof value === 'object' && (value as RelayEnvelope).rtRelay === 1;

/** Installs the relay on a service worker global (`installRelay(self)`). Returns an uninstall function. */
export function installRelay(
  scope: ServiceWorkerGlobalScope,
  options: RelayOptions = {},
): () => void {
  const windowClients = () => scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const keep = Math.max(0, options.keep ?? 500);
  /** This worker instance (a stopped worker starts again with nothing kept). */
  const epoch = Math.random().toString(36).slice(2);
  /** Pages keep one position per registration (scope), as a page may use two relays. */
  const r = scope.registration.scope;
  let seq = 0;
  const kept: Kept[] = [];
  /** Posts no longer kept (oldest first): their number, channel and sending client. */
  const drops: Pick<Kept, 's' | 'channel' | 'from'>[] = [];
  /** Numbers up to this one are no longer kept and their channels forgotten. */
  let forgotten = 0;
  const drop = ({ s, channel, from }: Pick<Kept, 's' | 'channel' | 'from'>) => {
    drops.push({ s, channel, from });
    if (drops.length > DROPS) forgotten = drops.shift()!.s;
  };
  /** The last number of each channel, least recently used first (for the saved mark). */
  const lastOf = new Map<string, number>();
  /** `<sender> <n>` → this instance's number for it (`RELAYED`). */
  const relayed = new Map<string, number>();
  let leftOut = 0;

  // Where this instance got to, for the next one (a stopped worker starts again from nothing).
  const key = new URL('?realtime-elements-relay', scope.registration.scope).href;
  const store = async () => scope.caches.open('realtime-elements:sw-relay');
  /** The previous instance's last `{ e, s }` (none: unknown). */
  const read = (): Promise<Mark | undefined> =>
    store()
      .then((cache) => cache.match(key))
      .then((response) => response?.json() as Promise<Mark> | undefined)
      .catch(() => undefined);
  /**
   * Read as this instance starts, and again as it takes over: a version installed while the old
   * one still relayed waits (for `skipWaiting()` or its pages to go) and must count from the old
   * one's last number then, not from the one it had when it installed.
   */
  let previous = read();
  const onActivate = () => {
    previous = read();
  };
  let saving: Promise<void> | undefined;
  let unsaved = false;
  /** Saves `{ e, s }` after a post: one write at a time, then the newest value (bursts coalesce). */
  const save = (): Promise<void> => {
    unsaved = true;
    return (saving ??= (async () => {
      await previous; // read before this instance's first write replaces it
      while (unsaved) {
        unsaved = false;
        const mark = JSON.stringify({
          e: epoch,
          s: seq,
          c: Object.fromEntries(lastOf),
          o: leftOut,
        } satisfies Mark);
        await store()
          .then((cache) => cache.put(key, new Response(mark)))
          .catch(() => {}); // unsaved (storage full, no Cache Storage): a restart is `restarted`
      }
      saving = undefined;
    })());
  };

  /** A page's `since`: what it missed, with how many it cannot have (per channel asked for). */
  const since = (envelope: RelayEnvelope, clientId: string, before?: Mark) => {
    const known = envelope.e === epoch;
    // The page last heard the instance before this one: it missed what that one relayed after.
    // (A page past its saved number: that one was killed before its save landed, so unknown.)
    const heard = Number(envelope.s) || 0;
    const followed = !!envelope.e && !known && envelope.e === before?.e && heard <= before.s;
    const behind = followed ? before!.s - heard : 0;
    const after = known ? heard : 0;
    const channels = Array.isArray(envelope.c) ? envelope.c.map(String) : undefined;
    // Numbers after its last that are no longer kept, on any channel (an older page: it counts
    // them all), and per channel it listens to.
    const first = kept.length ? kept[0].s : seq + 1;
    const of: Record<string, number> = {};
    let upTo = false;
    if ((known || followed) && channels) {
      const asked = new Set(channels);
      // Forgotten numbers may be of any channel: each counts on every one.
      const unknown = Math.max(0, forgotten - after);
      for (const channel of channels) of[channel] = unknown;
      upTo = unknown > 0;
      for (const post of drops) {
        // Its own posts are not missed (made before it left, or as it left: ack not yet heard).
        if (post.s > after && asked.has(post.channel!) && post.from !== clientId)
          of[post.channel!]++;
      }
      if (followed) {
        for (const channel of channels) {
          // A mark saved by an older worker has no channels: its last number counts for each.
          const last = before!.c ? (before!.c[channel] ?? before!.o ?? 0) : before!.s;
          if (last > heard) {
            of[channel] += behind;
            upTo = true;
          }
        }
      }
      for (const channel of channels) if (!of[channel]) delete of[channel];
    }
    return {
      e: epoch,
      s: seq,
      r,
      ack: true,
      // A page that never heard a number (`e` unset) only learns where things stand.
      m: envelope.e
        ? kept
            .filter(
              (post) =>
                post.s > after &&
                post.from !== clientId &&
                (!channels || channels.includes(post.channel!)),
            )
            .map(({ from: _, ...post }) => post)
        : [],
      lost:
        known || followed
          ? channels
            ? Object.values(of).reduce((sum, n) => sum + n, 0)
            : Math.max(0, first - after - 1) + behind
          : 0,
      of: channels && of,
      upTo,
      restarted: !!envelope.e && !known && !followed,
    };
  };

  const onMessage = (event: ExtendableMessageEvent) => {
    const envelope = event.data;
    if (!isRelayEnvelope(envelope)) return;
    const source = event.source as Client | null;
    const clientId = source?.id ?? '';
    if (envelope.kind === 'skip-waiting') {
      // Every page holds its posts for this worker until it is active (`skipping`): in Chromium a
      // message that reaches the old worker as it stops starts it again, and the activation waits
      // out its idle delay (30 s); a tab that posts often kept it from ever being idle.
      event.waitUntil(
        windowClients().then((clients) => {
          for (const client of clients) client.postMessage({ rtRelay: 1, kind: 'skipping' });
          return scope.skipWaiting();
        }),
      );
      return;
    }
    if (envelope.kind === 'since') {
      // Without a position the page only asks where things stand (and whether posts are
      // acknowledged): answered at once, before a post it sends next.
      if (!envelope.e) return event.ports[0]?.postMessage(since(envelope, clientId));
      event.waitUntil(
        previous.then((before) => event.ports[0]?.postMessage(since(envelope, clientId, before))),
      );
      return;
    }
    if (envelope.kind === 'post') {
      const id = typeof envelope.n == 'number' && `${envelope.sender} ${envelope.n}`;
      const ack = (s: number) =>
        source?.postMessage({
          rtRelay: 1,
          kind: 'ack',
          sender: envelope.sender,
          n: envelope.n,
          e: epoch,
          s,
          r,
        });
      const again = id && relayed.get(id);
      if (again) return ack(again);
      const s = ++seq;
      if (id) {
        relayed.set(id, s);
        if (relayed.size > RELAYED) relayed.delete(relayed.keys().next().value!);
      }
      const channel = envelope.channel;
      if (typeof channel == 'string') {
        lastOf.delete(channel);
        lastOf.set(channel, s);
        if (lastOf.size > CHANNELS) {
          const [oldest, last] = lastOf.entries().next().value!;
          lastOf.delete(oldest);
          leftOut = last;
        }
      }
      if (!keep) drop({ s, channel, from: clientId });
      else {
        kept.push({
          s,
          n: envelope.n,
          t: envelope.t,
          channel: envelope.channel,
          sender: envelope.sender,
          data: envelope.data,
          from: clientId,
        });
        if (kept.length > keep) drop(kept.shift()!);
      }
      event.waitUntil(save());
      event.waitUntil(
        windowClients().then((clients) => {
          for (const client of clients) {
            // The sending tab delivers to its own elements itself.
            if (client.id === clientId) continue;
            client.postMessage({
              rtRelay: 1,
              kind: 'message',
              channel: envelope.channel,
              sender: envelope.sender,
              n: envelope.n,
              t: envelope.t,
              data: envelope.data,
              e: epoch,
              s,
              r,
            });
          }
          // Relayed: the sender need not hand it to another worker. (Its number also counts as
          // heard, so the page's own posts are not taken for missed ones after the cache.)
          ack(s);
        }),
      );
      return;
    }
    if (envelope.kind === 'request') {
      const port = event.ports[0];
      if (!port) return;
      const answer = async () => {
        try {
          const value = options.onRequest
            ? await options.onRequest(envelope.data, { channel: envelope.channel ?? '', clientId })
            : { clients: (await windowClients()).length };
          port.postMessage({ ok: true, value });
        } catch (error) {
          port.postMessage({ ok: false, message: String((error as Error)?.message ?? error) });
        }
      };
      event.waitUntil(answer());
    }
  };

  scope.addEventListener('message', onMessage);
  scope.addEventListener('activate', onActivate);
  return () => {
    scope.removeEventListener('message', onMessage);
    scope.removeEventListener('activate', onActivate);
  };
}

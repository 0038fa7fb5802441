/**
 * `<sw-relay>` exactly once across a worker handover (DESIGN, delivery guarantees), loaded when a
 * relay opens. A browser drops, with no error, what a page posts to a service worker in the
 * moment it is terminated: its registration was unregistered and its last client claimed by a
 * new registration (WebKit 2.50 and Firefox 153 lost one post of 200 sent every 2 ms across that
 * moment, test/sw-relay-unregistered.test.ts), or an update replaced it.
 *
 * So every post carries its sender's number (`n`, per element); the worker acknowledges it to
 * the sending page once relayed (`ack`, worker/relay.ts); a post not acknowledged is handed to
 * the next worker the relay posts to, before anything newer, in order; and a page drops a
 * sender's number it has already delivered (the old worker may have relayed it to some pages
 * before it went). Only posts to a worker that has acknowledged one are handed over: one that
 * never does (an older relay) may have relayed them all, and handing them over would deliver
 * them to tabs that opened since — posts from before they existed.
 */

interface Envelope {
  kind: string;
  sender?: string;
  n?: number;
  /** on a post handed to another worker: when it was made (`Date.now()` ms) */
  t?: number;
}

/** A post's id: its sender's element and number (and when it was made, if handed over). */
type Numbered = Pick<Envelope, 'sender' | 'n' | 't'>;

/** What this module uses of a `<sw-relay>` (private members, reached on purpose). */
interface Host {
  readonly senderId: string;
  readonly isConnected: boolean;
  readonly state: string;
  readonly src: string;
  readonly scope: string;
  readonly registration?: ServiceWorkerRegistration;
  queue: { envelope: object; port?: MessagePort }[];
  readonly switching: boolean;
  readonly queueLimit: number;
  send(envelope: Envelope, port?: MessagePort): boolean;
  fail(code: string, message: string): void;
  addEventListener(type: string, listener: () => void): void;
}

/**
 * A sent post until the worker acknowledges it; `to`: the worker it went to (null: queued);
 * `t`: when it was made.
 */
interface Unacked {
  envelope: Envelope;
  to: ServiceWorker | null;
  t: number;
}

/** Per relay of this page: its posts not yet acknowledged, by number (gone with the relay). */
const senders = new WeakMap<Host, Map<number, Unacked>>();
/** Per sender id (any page): the newest number delivered here. */
const delivered = new Map<string, number>();
/** Senders remembered for dropping repeats (the least recently heard is forgotten first). */
const REMEMBERED = 10_000;
/** Workers that have acknowledged a post of this page (`ack`'s `source`). */
const ackers = new WeakSet<object>();
/** How often (ms) a relay with posts not acknowledged checks whether its worker changed. */
const CHECK_EVERY = 500;

/**
 * Numbers `host`'s posts and keeps them until acknowledged; hands them to a new worker. Called
 * each time the relay opens; wraps its `send` once.
 */
export function track(host: Host): void {
  if (senders.has(host)) return;
  const unacked = new Map<number, Unacked>();
  senders.set(host, unacked);
  host.addEventListener('statechange', () => drain(host));
  const send = host.send;
  let count = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  /** Resends what went to another worker (or to none that lives) to the active one, in order. */
  const handOver = (): ServiceWorker | undefined => {
    const active = host.registration?.active;
    // Not now: the element queues, and flushes through `send` when a worker is active.
    if (host.state != 'open' || !active || host.switching || host.queue.length) return;
    for (const [n, entry] of unacked) {
      if (!entry.to || entry.to === active) continue;
      if (!ackers.has(entry.to)) unacked.delete(n);
      else {
        entry.to = active;
        // Made before a tab opened, it is not that tab's (a live post reaches the tabs open then).
        entry.envelope.t = entry.t;
        active.postMessage(entry.envelope);
      }
    }
    return active;
  };

  host.send = (envelope, port) => {
    // A queued post comes through here again when it is flushed: it keeps its number.
    if (envelope.kind == 'post') envelope.n ??= ++count;
    // Before anything newer (a request too): what the previous worker did not acknowledge.
    const active = handOver();
    const sent = send.call(host, envelope, port);
    if (!sent || !envelope.n) return sent;
    // A flushed post keeps its place: the map stays in the order of the numbers.
    unacked.set(envelope.n, {
      envelope,
      to: host.queue.at(-1)?.envelope === envelope ? null : (active ?? null),
      t: unacked.get(envelope.n)?.t ?? Date.now(),
    });
    for (const [n] of unacked) {
      if (unacked.size <= host.queueLimit) break;
      unacked.delete(n);
    }
    timer ??= setInterval(() => {
      handOver();
      if (!unacked.size || !host.isConnected) {
        clearInterval(timer);
        timer = undefined;
      }
    }, CHECK_EVERY);
    return sent;
  };
}

/**
 * The worker (`source`) relayed a post of one of `hosts` (this page's relays): it need not be
 * handed over.
 */
export function acknowledged(data: Numbered, hosts: Iterable<Host>, source: unknown): void {
  if (source) ackers.add(source);
  for (const host of hosts) if (host.senderId === data.sender) senders.get(host)?.delete(data.n!);
}

/**
 * Whether a relayed post is new here: false for a sender's number already delivered (a post
 * handed to the next worker after the old one relayed it). Posts without a number pass.
 */
export function fresh(data: Numbered): boolean {
  const { sender, n, t } = data;
  // Handed over after this page opened, a post made before it: not for this page.
  if (t! < performance.timeOrigin) return false;
  if (typeof sender != 'string' || typeof n != 'number') return true;
  const newest = delivered.get(sender) ?? 0;
  if (n <= newest) return false;
  delivered.delete(sender);
  delivered.set(sender, n);
  if (delivered.size > REMEMBERED) delivered.delete(delivered.keys().next().value!);
  return true;
}

/**
 * A relay removed while posts wait for an active worker (a "goodbye" posted as it unmounts):
 * they were accepted, so they are sent once the worker of its registration is active — unless
 * it is added again (then it sends them itself). Never registers anything: a registration the
 * page has unregistered meanwhile stays gone, and the posts are reported lost (`message-lost`
 * on the removed element). A disabled relay keeps them until it is enabled again.
 */
export function drain(host: Host): void {
  // An opaque origin already said `unsupported` (Firefox gives it a container that only rejects).
  if (host.isConnected || !host.queue.length || origin == 'null') return;
  let container: ServiceWorkerContainer | undefined;
  try {
    container = navigator.serviceWorker;
  } catch {
    // Opaque origins (sandboxed frames) throw a SecurityError here: no worker to send to.
  }
  if (!container) return;
  // The registration `src` (or `scope`) opens: the scope defaults to the script's folder.
  const scope = host.src && new URL(host.scope || '.', new URL(host.src, document.baseURI)).href;
  void (scope ? container.getRegistration(scope) : container.ready)
    .catch(() => undefined)
    .then((registration) => {
      const flush = () => {
        const active = registration?.active;
        if (host.isConnected) return;
        if (!active) {
          host.queue = [];
          return host.fail('message-lost', 'Posts of a removed relay were not sent: no worker.');
        }
        if (active.state != 'activated')
          return void (registration.installing ?? registration.waiting ?? active).addEventListener(
            'statechange',
            flush,
            { once: true },
          );
        for (const { envelope, port } of host.queue.splice(0))
          active.postMessage(envelope, port ? [port] : []);
      };
      flush();
    });
}

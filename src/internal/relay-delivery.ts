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
 * before it went). A worker that never acknowledges (an older relay) only costs memory: the
 * newest `queue-limit` posts are kept for a handover.
 */

interface Envelope {
  kind: string;
  sender?: string;
  n?: number;
}

/** A post's id: its sender's element and number. */
type Numbered = Pick<Envelope, 'sender' | 'n'>;

/** What this module uses of a `<sw-relay>` (private members, reached on purpose). */
interface Host {
  readonly senderId: string;
  readonly isConnected: boolean;
  readonly state: string;
  readonly registration?: ServiceWorkerRegistration;
  readonly queue: { envelope: object }[];
  readonly switching: boolean;
  readonly queueLimit: number;
  send(envelope: Envelope, port?: MessagePort): boolean;
}

/** A sent post until the worker acknowledges it; `to`: the worker it went to (null: queued). */
interface Unacked {
  envelope: Envelope;
  to: ServiceWorker | null;
}

/** Per relay of this page: its posts not yet acknowledged, by number (gone with the relay). */
const senders = new WeakMap<Host, Map<number, Unacked>>();
/** Per sender id (any page): the newest number delivered here. */
const delivered = new Map<string, number>();
/** Senders remembered for dropping repeats (the oldest is forgotten first). */
const REMEMBERED = 1000;
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
  const send = host.send;
  let count = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  /** Resends what went to another worker (or to none that lives) to the active one, in order. */
  const handOver = (): ServiceWorker | undefined => {
    const active = host.registration?.active;
    // Not now: the element queues, and flushes through `send` when a worker is active.
    if (host.state != 'open' || !active || host.switching || host.queue.length) return;
    for (const entry of unacked.values()) {
      if (entry.to && entry.to !== active) {
        entry.to = active;
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
    unacked.delete(envelope.n); // re-inserted: the map stays in the order posts were sent
    unacked.set(envelope.n, {
      envelope,
      to: host.queue.at(-1)?.envelope === envelope ? null : (active ?? null),
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

/** The worker relayed a post of one of `hosts` (this page's relays): it need not be handed over. */
export function acknowledged(data: Numbered, hosts: Iterable<Host>): void {
  for (const host of hosts) if (host.senderId === data.sender) senders.get(host)?.delete(data.n!);
}

/**
 * Whether a relayed post is new here: false for a sender's number already delivered (a post
 * handed to the next worker after the old one relayed it). Posts without a number pass.
 */
export function fresh(data: Numbered): boolean {
  const { sender, n } = data;
  if (typeof sender != 'string' || typeof n != 'number') return true;
  const newest = delivered.get(sender) ?? 0;
  if (n <= newest) return false;
  delivered.delete(sender);
  delivered.set(sender, n);
  if (delivered.size > REMEMBERED) delivered.delete(delivered.keys().next().value!);
  return true;
}

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
 * before it went). Only posts to a worker known to acknowledge are handed over (it acknowledged
 * one of this page's, or said so in its answer to `since`, which a page sends to each new worker
 * it posts to): one that never does (an older relay) relays no numbers, so a page could not
 * drop its repeats. A relay removed from the page follows its posts the same way until they are
 * acknowledged (`drain`): the posts that waited for a worker, and those sent to a worker that is
 * replaced meanwhile (`skipWaiting()` and a "goodbye" in the same task).
 */

interface Envelope {
  kind: string;
  sender?: string;
  n?: number;
  /**
   * on a post handed to another worker: when it was made (ms since the epoch, from this page's
   * `performance.timeOrigin` and monotonic clock: a wall-clock step does not move it)
   */
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
  switching: boolean;
  readonly onWorkerChange: () => void;
  readonly queueLimit: number;
  send(envelope: Envelope, port?: MessagePort): boolean;
  skipWaiting(): void;
  requestUpdate(name: string): void;
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
  /** when it was last sent (`performance.now()` ms) */
  at?: number;
}

/** A relay's posts not yet acknowledged, by number, and the last number it gave. */
interface Sent {
  unacked: Map<number, Unacked>;
  count: number;
  /** its `send` is wrapped (`track`) */
  tracked?: boolean;
  /** followed after it was removed from the page (`drain`) */
  draining?: boolean;
}

/** Per relay of this page (gone with the relay). */
const senders = new WeakMap<Host, Sent>();
/** Relays removed from the page that still follow posts not acknowledged (`drain`). */
const removed = new Set<Host>();
const sentBy = (host: Host): Sent => {
  let sent = senders.get(host);
  if (!sent) senders.set(host, (sent = { unacked: new Map(), count: 0 }));
  return sent;
};
/**
 * Per sender id (any page): the newest number delivered here, and the numbers below it not
 * delivered yet (`gaps`, the newest `GAPS`): a post the browser dropped and the relay sent again
 * arrives after newer ones, and is delivered late rather than dropped as a repeat.
 */
const delivered = new Map<string, { top: number; gaps: Set<number> }>();
const GAPS = 1024;
/** Senders remembered for dropping repeats (the least recently heard is forgotten first). */
const REMEMBERED = 10_000;
/** Workers known to acknowledge posts (an `ack`'s `source`, or a `since` reply saying so). */
const ackers = new WeakSet<object>();
/** Workers this page asked whether they acknowledge: settled once they answered (or never will). */
const asked = new WeakMap<object, Promise<void>>();
const answered = new WeakSet<object>();
/** Waiting workers told to skip waiting (by this page, or another: `skips`). */
const skipping = new WeakSet<object>();
/** How often (ms) a relay with posts not acknowledged checks whether its worker changed. */
const CHECK_EVERY = 500;
/** How long (ms) a removed relay follows posts that are not acknowledged after it sent them. */
const FOLLOW_REMOVED = 30_000;
/**
 * How long (ms) a post may go unacknowledged by the worker it was sent to before the relay looks
 * again (doubling each time, up to `ACK_WITHIN_MAX`): the worker may be gone with no
 * `statechange` at all (WebKit 2.50 terminated an unregistered worker as a new registration
 * claimed its pages, and the page's view of it stayed `activated`: a CI run lost every post
 * after that), or the browser stopped it as it got the post.
 */
const ACK_WITHIN = 4000;
const ACK_WITHIN_MAX = 60_000;

/** `worker` (waiting) was told to skip waiting, by this page or another (its `skipping`). */
export const skips = (worker: object): void => void skipping.add(worker);

/** The waiting worker of `registration` was told to skip waiting (it is not active yet). */
export const replacing = (registration?: ServiceWorkerRegistration): boolean =>
  skipping.has(registration?.waiting as object);

/**
 * `host` holds its posts until `waiting` (told to skip waiting) is active, and follows it there
 * (none: it is activating already, or active).
 *
 * Nothing of this page goes to a worker that this page has asked to be replaced (`replacing`):
 * every relay of the registration holds its posts as the one that called `skipWaiting()` does,
 * and no `since` goes to it. Chromium (156) activates the new worker once the old one is idle:
 * it stops the old one at once when idle, and a message that reaches it as it stops starts it
 * again with the usual idle delay (30 s), which the activation then waits out
 * (content/browser/service_worker, `IsReadyToActivate`, `TriggerIdleTerminationAsap`).
 */
function switchTo(host: Host, waiting?: ServiceWorker | null): void {
  host.switching = true;
  if (!waiting) return host.onWorkerChange();
  // Posts of a relay removed meanwhile go to it, not to the worker it replaces (`drain`).
  skipping.add(waiting);
  waiting.addEventListener('statechange', host.onWorkerChange);
}

/** `worker` acknowledges posts: what was sent to it is handed to the next one. */
export function acknowledges(worker: object): void {
  ackers.add(worker);
}

/**
 * Asks a worker this page is about to post to, once, whether it acknowledges posts (`since`
 * without a position: it only says where things stand). Sent before the post, so a worker that
 * is replaced right after has answered already when it had the post.
 */
function probe(worker: ServiceWorker): Promise<void> {
  let answer = asked.get(worker);
  if (!answer) {
    const { port1, port2 } = new MessageChannel();
    answer = new Promise<void>((resolve) => {
      // An older relay, or any other worker, may never answer.
      const close = setTimeout(() => port1.onmessage!(new MessageEvent('message')), 10_000);
      port1.onmessage = ({ data }) => {
        if (data?.ack) ackers.add(worker);
        answered.add(worker);
        clearTimeout(close);
        port1.close();
        resolve();
      };
    });
    asked.set(worker, answer);
    worker.postMessage({ rtRelay: 1, kind: 'since' }, [port2]);
  }
  return answer;
}

/** Resends to `active`, in order, what went to another worker; forgets what cannot be handed over. */
function handOver(unacked: Map<number, Unacked>, active: ServiceWorker): void {
  probe(active);
  for (const [n, entry] of unacked) {
    if (!entry.to || entry.to === active) continue;
    if (!ackers.has(entry.to)) unacked.delete(n);
    else resend(entry, active);
  }
}

function resend(entry: Unacked, to: ServiceWorker): void {
  entry.to = to;
  entry.at = performance.now();
  // Made before a tab opened, it is not that tab's (a live post reaches the tabs open then).
  entry.envelope.t = entry.t;
  to.postMessage(entry.envelope);
}

/**
 * Numbers `host`'s posts and keeps them until acknowledged; hands them to a new worker. Called
 * each time the relay opens; wraps its `send` once.
 */
export function track(host: Host): void {
  const sent = sentBy(host);
  if (sent.tracked) return;
  sent.tracked = true;
  const { unacked } = sent;
  host.addEventListener('statechange', () => {
    if (!host.isConnected) return drain(host);
    // The worker is asked as the relay opens, so it has answered by the time the relay posts
    // (or is removed); what an older one did not acknowledge goes to it (`current`).
    if (host.state == 'open') current();
    watch();
  });
  const send = host.send;
  host.skipWaiting = () => {
    const waiting = host.registration?.waiting;
    if (!waiting) return;
    // Followed here, not through `controllerchange`: a page outside the scope never gets one.
    switchTo(host, waiting);
    waiting.postMessage({ rtRelay: 1, kind: 'skip-waiting' });
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  let ackWithin = ACK_WITHIN;

  /** The active worker, when the relay posts to it now (else it queues, and flushes later). */
  const current = (): ServiceWorker | undefined => {
    const registration = host.registration;
    const active = registration?.active;
    // Another relay of this page told the waiting worker to skip waiting: held as well.
    if (!host.switching && replacing(registration)) switchTo(host, registration!.waiting);
    if (host.switching || host.state != 'open' || !active || host.queue.length) return;
    handOver(unacked, active);
    return active;
  };
  /**
   * The oldest post sent to `active` is not acknowledged in time: if the scope's registration is
   * no longer the relay's (it was unregistered and replaced, and the browser said nothing), the
   * relay opens again on the new one, which gets the posts (`handOver`); else they go to the
   * same worker again (a worker the browser stopped is started by a message; the pages drop
   * what they already had, by number).
   */
  const overdue = (active: ServiceWorker) => {
    const oldest = unacked.values().next().value;
    if (oldest?.to !== active || performance.now() - (oldest.at ?? 0) < ackWithin) return;
    // One that does not acknowledge (an older relay) does not number what it relays either.
    if (!ackers.has(active)) return;
    ackWithin = Math.min(ackWithin * 2, ACK_WITHIN_MAX);
    const registration = host.registration!;
    for (const entry of unacked.values()) entry.at = performance.now();
    void navigator.serviceWorker
      .getRegistration(registration.scope)
      .catch(() => registration)
      .then((found) => {
        if (host.registration != registration || registration.active != active) return;
        if (host.switching || replacing(registration)) return;
        // Opened again, a relay without `src` would get the old registration from `ready`.
        if (found && found != registration && host.src) return host.requestUpdate('src');
        for (const entry of unacked.values()) if (entry.to == active) resend(entry, active);
      });
  };
  /** While posts are not acknowledged, checks whether the worker changed. */
  const watch = () => {
    timer ??= setInterval(() => {
      const active = current();
      if (active) overdue(active);
      if (!unacked.size) ackWithin = ACK_WITHIN;
      if (!unacked.size || !host.isConnected) {
        clearInterval(timer);
        timer = undefined;
      }
    }, CHECK_EVERY);
  };

  host.send = (envelope, port) => {
    // A queued post comes through here again when it is flushed: it keeps its number.
    if (envelope.kind == 'post') envelope.n ??= ++sent.count;
    // Before anything newer (a request too): what the previous worker did not acknowledge. (The
    // worker it posts to is asked first, `handOver`; else the post is queued.)
    const active = current();
    const ok = send.call(host, envelope, port);
    if (!ok || !envelope.n) return ok;
    keep(host, envelope, host.queue.at(-1)?.envelope === envelope ? null : (active ?? null));
    watch();
    return ok;
  };
}

/** Keeps a post (`to`: the worker it went to, null: queued) until acknowledged, in number order. */
function keep(host: Host, envelope: Envelope, to: ServiceWorker | null): void {
  const { unacked } = sentBy(host);
  // A flushed post keeps its place: the map stays in the order of the numbers.
  const t = unacked.get(envelope.n!)?.t ?? performance.timeOrigin + performance.now();
  unacked.set(envelope.n!, { envelope, to, t, at: performance.now() });
  for (const [n] of unacked) {
    if (unacked.size <= host.queueLimit) break;
    unacked.delete(n);
    host.fail('message-lost', 'A post not acknowledged was given up (queue-limit).');
  }
}

/**
 * The worker (`source`) relayed a post of one of `hosts` (this page's relays): it need not be
 * handed over.
 */
export function acknowledged(data: Numbered, hosts: Iterable<Host>, source: unknown): void {
  if (source) ackers.add(source);
  for (const host of [...hosts, ...removed])
    if (host.senderId === data.sender) senders.get(host)?.unacked.delete(data.n!);
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
  const known = delivered.get(sender);
  if (known && n <= known.top) return known.gaps.delete(n);
  const seen = known ?? { top: 0, gaps: new Set() };
  // The numbers skipped (first heard: only the few before, the rest came before this page).
  for (let m = Math.max(seen.top + 1, n - (known ? GAPS : 16)); m < n; m++) seen.gaps.add(m);
  for (const m of seen.gaps) {
    if (seen.gaps.size <= GAPS) break;
    seen.gaps.delete(m);
  }
  seen.top = n;
  delivered.delete(sender);
  delivered.set(sender, seen);
  if (delivered.size > REMEMBERED) delivered.delete(delivered.keys().next().value!);
  return true;
}

/**
 * A relay removed with posts not sent yet (a "goodbye" posted as it unmounts) or not yet
 * acknowledged: they were accepted, so they are sent once the worker of its registration is
 * active, and followed as a relay on the page follows them — handed to the next worker if that
 * one is replaced before it acknowledges them — unless the relay is added again (then it does
 * it itself). Never registers anything: a registration the page has unregistered meanwhile
 * stays gone, and the posts not sent are reported lost (`message-lost` on the removed element).
 * A disabled relay keeps them until it is enabled again.
 */
export function drain(host: Host): void {
  const sent = sentBy(host);
  // An opaque origin already said `unsupported` (Firefox gives it a container that only rejects).
  if (host.isConnected || sent.draining || origin == 'null') return;
  if (!host.queue.length && !sent.unacked.size) return;
  let container: ServiceWorkerContainer | undefined;
  try {
    container = navigator.serviceWorker;
  } catch {
    // Opaque origins (sandboxed frames) throw a SecurityError here: no worker to send to.
  }
  if (!container) return;
  sent.draining = true;
  const { unacked } = sent;
  // The registration `src` (or `scope`) opens: the scope defaults to the script's folder.
  const scope = host.src && new URL(host.scope || '.', new URL(host.src, document.baseURI)).href;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let until = Infinity;
  const next = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(check, ms);
  };
  const stop = () => {
    clearTimeout(timer);
    sent.draining = false;
    removed.delete(host);
  };
  removed.add(host);
  // The registration it posted through, and its next versions; a new registration of the scope
  // (this one unregistered meanwhile) is not followed into.
  const found = (scope ? container.getRegistration(scope) : container.ready).catch(() => undefined);
  const check = () =>
    void found.then((registration) => {
      // Added again: it sends and follows them itself.
      if (host.isConnected) return stop();
      const active = registration?.active;
      if (!active) {
        if (host.queue.length) {
          host.queue = [];
          host.fail('message-lost', 'Posts of a removed relay were not sent: no worker.');
        }
        return stop();
      }
      // WebKit (2.50) may leave a view of the worker at `activating` for good while it
      // controls the page (as the element allows).
      const ready =
        active.state == 'activated' ||
        (active.state == 'activating' && container.controller?.scriptURL == active.scriptURL);
      // An update this page activates: the new worker gets them (the old one is about to go).
      if (!ready || replacing(registration)) {
        const pending = registration.installing ?? registration.waiting ?? active;
        pending.addEventListener('statechange', () => next(0), { once: true });
        return next(CHECK_EVERY);
      }
      // Sent only to a worker whose answer is known: one that does not acknowledge, or is
      // replaced before it answers, could not have them handed to the next one.
      if (!ackers.has(active) && !answered.has(active)) {
        void probe(active).then(() => next(0));
        return next(CHECK_EVERY);
      }
      handOver(unacked, active);
      for (const { envelope, port } of host.queue.splice(0)) {
        const post = envelope as Envelope;
        if (post.kind == 'post') post.n ??= ++sent.count;
        active.postMessage(post, port ? [port] : []);
        if (post.n) keep(host, post, active);
      }
      // Not acknowledged in time by the worker they went to (it may have dropped them): again.
      if (ackers.has(active))
        for (const entry of unacked.values())
          if (entry.to == active && performance.now() - entry.at! > ACK_WITHIN)
            resend(entry, active);
      until = Math.min(until, performance.now() + FOLLOW_REMOVED);
      if (unacked.size && performance.now() > until) {
        unacked.clear();
        // (One that never acknowledges, an older relay, cannot say.)
        if (ackers.has(active))
          host.fail('message-lost', 'Posts of a removed relay were not sent: no answer.');
      }
      if (!unacked.size) return stop();
      next(CHECK_EVERY);
    });
  check();
}

/**
 * `<sw-relay>` and the back/forward cache (HTML § 7.4.6, `pageshow` with `persisted`), loaded
 * when a relay opens. A page in the cache gets nothing the worker relays meanwhile (Chromium's
 * `clients.matchAll` leaves it out; WebKit drops what is posted to it), so the worker numbers
 * every relayed post and keeps the newest (`installRelay`'s `keep`, default 500). This page
 * remembers the last number it heard; back from the cache it asks the worker (`since`) for
 * what was relayed after it and delivers that first, in order, holding live relays until then
 * and dropping their repeats. What it cannot have any more is told, never skipped silently: an
 * `error` with code `message-lost` on every open relay of the page — posts older than the kept
 * ones, posts relayed by a worker instance that the browser stopped meanwhile (it stops idle
 * workers; the next instance knows how many came after this page's last, worker/relay.ts), or a
 * worker that does not answer (an older relay).
 */

import {
  acknowledged,
  acknowledges,
  drain,
  fresh,
  replacing,
  skips,
  track,
} from './relay-delivery.js';

/** What this module uses of a `<sw-relay>` (private members, reached on purpose). */
interface RelayHost {
  readonly name: string;
  readonly isConnected: boolean;
  readonly state: string;
  readonly registration?: ServiceWorkerRegistration;
  readonly container?: ServiceWorkerContainer;
  readonly onMessage: (event: MessageEvent) => void;
  fail(code: string, message: string): void;
  addEventListener(type: string, listener: () => void, options: { once: boolean }): void;
}

interface Numbered {
  rtRelay?: number;
  kind?: string;
  channel?: string;
  sender?: string;
  /** the sender's number for the post (relay-delivery.ts) */
  n?: number;
  /** the worker instance */
  e?: unknown;
  /** its number for the post */
  s?: unknown;
  /** its registration's scope */
  r?: string;
}

interface SinceReply {
  e: string;
  s: number;
  r?: string;
  m: Numbered[];
  lost: number;
  /** per channel asked for, how many it can no longer have (none: a worker that counts all) */
  of?: Record<string, number>;
  /** `of` counts posts of a stopped worker instance, or forgotten ones, that may be of others */
  upTo?: boolean;
  restarted: boolean;
  /** the worker acknowledges posts (worker/relay.ts) */
  ack?: boolean;
}

/** A worker that has not answered `since` within this long (ms) is taken as unable to. */
const ANSWER_WITHIN = 10_000;

const hosts = new Set<RelayHost>();
/**
 * Per registration scope (a page may use relays of two registrations): the newest post this
 * page has heard of — the worker instance and its number, its own posts included (their `ack`).
 */
const last = new Map<string, { e: string; s: number }>();
/** Per scope, while catching up: live relays wait here, so what was missed comes first. */
const held = new Map<string, MessageEvent[]>();
const scopeOf = (host: RelayHost) => host.registration?.scope ?? '';
/** Posts (`<instance> <number>`) the catch-up delivered: their live copies are dropped. */
let delivered = new Set<string>();
const key = (data: Numbered, e = data.e) => `${e} ${data.s}`;
let listening: ServiceWorkerContainer | undefined;

function heard(data: Numbered): void {
  const { e, s, r = '' } = data;
  const before = last.get(r);
  if (typeof e === 'string' && typeof s === 'number' && (before?.e !== e || s > before.s)) {
    last.set(r, { e, s });
  }
}

/** Runs before every relay's own listener: notes numbers, holds and drops repeats. */
function gate(event: MessageEvent): void {
  const data = event.data as Numbered | null;
  if (data?.rtRelay !== 1) return;
  // Another page told this waiting worker to skip waiting: relays hold their posts for it.
  if (data.kind === 'skipping' && event.source) skips(event.source);
  if (data.kind === 'ack') {
    acknowledged(data, hosts as Iterable<never>, event.source);
    heard(data);
  }
  if (data.kind !== 'message') return;
  const waiting = held.get(data.r ?? '');
  if (waiting) {
    event.stopImmediatePropagation();
    waiting.push(event);
  } else if (delivered.delete(key(data)) || !fresh(data)) {
    event.stopImmediatePropagation();
  } else heard(data);
}

/** Follows `host` (a relay that just opened or is opening) through the page lifecycle. */
export default function followRelay(host: RelayHost): void {
  const container = host.container;
  // Closed (the element calls this as it releases too): posts still queued in a relay removed
  // from the page are sent all the same.
  if (!container) return drain(host as never);
  track(host as never);
  if (!listening) {
    listening = container;
    container.addEventListener('message', gate);
    addEventListener('pageshow', restored);
  }
  // The gate goes first: a relay that listened before this module loaded listens again.
  container.removeEventListener('message', host.onMessage);
  container.addEventListener('message', host.onMessage);
  // Relays removed from the page are forgotten (re-inserted, they follow again).
  for (const known of hosts) if (!known.isConnected) hosts.delete(known);
  hosts.add(host);
  // Where things stand when it opens: what is relayed after that, and missed, is asked for.
  if (host.state === 'open') locate(host);
  else host.addEventListener('open', () => locate(host), { once: true });
}

/**
 * Asks the active worker of `registration()` (`scope`'s) for what this page missed since
 * its position there, on `channels` (those its relays listen to). A page restored after its
 * worker was replaced may still see the old one as active for a moment (WebKit 2.50), and a
 * worker that is gone never answers: the current active worker is asked again while none has
 * answered.
 */
function ask(
  registration: () => ServiceWorkerRegistration | undefined,
  scope: string,
  answer: (reply?: SinceReply) => void,
  channels?: string[],
): void {
  const ports: MessagePort[] = [];
  let asked: ServiceWorker | undefined;
  const attempt = () => {
    // Not a worker this page is replacing: a message keeps it from going (relay-delivery.ts).
    const active = replacing(registration()) ? null : registration()?.active;
    if (!active || active === asked) return;
    asked = active;
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    port1.onmessage = ({ data }) => {
      if ((data as SinceReply)?.ack) acknowledges(active);
      done(data as SinceReply);
    };
    const mark = last.get(scope);
    active.postMessage({ rtRelay: 1, kind: 'since', e: mark?.e, s: mark?.s, c: channels }, [port2]);
  };
  const retry = setInterval(attempt, 250);
  const timer = setTimeout(done, ANSWER_WITHIN);
  function done(reply?: SinceReply): void {
    clearInterval(retry);
    clearTimeout(timer);
    for (const port of ports.splice(0)) port.close();
    answer(reply);
  }
  attempt();
  if (!registration()?.active) done();
}

function locate(host: RelayHost): void {
  const scope = scopeOf(host);
  if (!last.has(scope)) {
    ask(
      () => host.registration,
      scope,
      (reply) => reply && !last.has(scope) && heard({ r: scope, ...reply }),
    );
  }
}

/** The relays of this page that listen now (a disabled or removed one has no container). */
const listeners = () => [...hosts].filter((host) => host.container);

function restored(event: PageTransitionEvent): void {
  if (!event.persisted) return;
  for (const host of hosts) if (!host.isConnected) hosts.delete(host);
  const open = [...hosts].filter((host) => host.state === 'open');
  // No relay listened while the page was away: what it heard is out of date (a relay added later
  // starts from where the worker is, never from the posts of an earlier absence).
  if (!open.length) return last.clear();
  // Only these missed anything: a relay added later starts from where the worker is.
  const ears = listeners();
  // Every registration this page heard from, not only its relays' own: a worker relays every
  // channel to every tab of the origin, so a relay hears posts made through another scope.
  for (const scope of new Set([...last.keys(), ...open.map(scopeOf)])) catchUp(scope, open, ears);
}

/**
 * Back from the cache: asks `scope`'s worker what `ears` (the relays that listened while the
 * page was away) missed, on their channels, and delivers it first, in order. `message-lost`
 * goes to the open relays of a channel that lost posts (to all where the worker cannot say).
 */
function catchUp(scope: string, open: RelayHost[], ears: RelayHost[]): void {
  if (held.has(scope)) return;
  held.set(scope, []);
  // The page's one object for the registration: a relay's own, or one it only heard from.
  void listening!
    .getRegistration(scope)
    .catch(() => undefined)
    .then((found) => {
      // `getRegistration` finds the registration whose scope covers the URL: only the same one.
      const same = found?.scope === scope ? found : undefined;
      ask(
        () => same,
        scope,
        (reply) => {
          const waiting = held.get(scope) ?? [];
          held.delete(scope);
          for (const host of open) {
            const lost = reply?.of ? (reply.of[host.name] ?? 0) : reply?.lost;
            const missing = !reply
              ? 'no answer (an older relay worker?)'
              : reply.restarted
                ? 'the worker restarted'
                : lost
                  ? `${reply.upTo ? 'up to ' : ''}${lost} of them are no longer kept`
                  : '';
            if (missing && host.isConnected)
              host.fail(
                'message-lost',
                `Posts relayed while this tab was in the back/forward cache may be missing: ${missing}.`,
              );
          }
          delivered = new Set();
          if (reply) {
            last.set(scope, { e: reply.e, s: reply.s });
            for (const post of reply.m) {
              delivered.add(key(post, reply.e));
              if (!fresh(post)) continue;
              const relayed = { ...post, rtRelay: 1, kind: 'message', e: reply.e, r: scope };
              for (const host of ears)
                if (host.container) host.onMessage(new MessageEvent('message', { data: relayed }));
            }
          }
          // Live relays that came meanwhile, in order, without what the catch-up delivered.
          for (const live of waiting) {
            const data = live.data as Numbered;
            if (delivered.delete(key(data)) || !fresh(data)) continue;
            heard(data);
            for (const host of listeners()) host.onMessage(live);
          }
        },
        [...new Set(ears.map((host) => host.name))],
      );
    });
}

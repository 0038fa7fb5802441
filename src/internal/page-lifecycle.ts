import type { ReconnectController } from './reconnect-controller.js';

/** What the page lifecycle uses of a network element (protected members, reached on purpose). */
export interface PageHost {
  readonly isConnected: boolean;
  readonly disabled: boolean;
  readonly state: string;
  readonly shared: boolean;
  readonly reconnector: ReconnectController;
  /** `<sse-feed>`: false while its connection is an `EventSource`. */
  readonly useFetch?: boolean;
  sharing?: object;
  /** Set here: `leaving(host)`, for the element's own connection code. */
  left?: () => boolean;
  /** `<socket-relay echo>`: its own sends are delivered to it too. */
  readonly echo?: boolean;
  /** `<socket-relay>`: raw mode and its `type` (how a send built at the call holds its data). */
  readonly raw?: boolean;
  readonly type?: string;
  setState(state: string): void;
  emit(event: Event): boolean;
  unshare(): void;
  suspend(): void;
  start(): void;
  connect(): void;
  /** `<socket-relay>`: sends on its own socket (what a shared leader does for every tab). */
  sendFor?(data: unknown, options: object, acked: (id?: string) => void): boolean;
}

/** The elements that follow the page, and whether `pagehide` (or a leaving failure) paused each. */
const hosts = new Map<PageHost, boolean>();

/** Until when (`performance.now()`, ms) a failure counts as the navigation's doing. */
let leavingUntil = 0;
/** When `beforeunload` fired: a navigation pending longer than `leaveLimit` is not waited out. */
let leftAt = 0;
let stayTimer: ReturnType<typeof setTimeout> | undefined;
/** Ms after which a paused element tries again if the page is still here (a download, a 204). */
const stay = 1000;
const leaveLimit = 30_000;

/**
 * The back/forward cache (HTML § 7.4.6 "page lifecycle": `pagehide`, `pageshow`). On
 * `pagehide` (unload, or entering the cache) a running network element closes its connection
 * quietly: state `paused`, no `close`, no `error`; a `shared` leader leaves its group first, so
 * another tab takes the lock over at once. On a `pageshow` with `persisted` (restored from the
 * cache) it reconnects at once, resuming from its cursor: nothing lost, nothing doubled.
 *
 * Why close at all: Chromium (149+) and WebKit close an open WebSocket themselves and report that
 * only after the restore — a connection dropped here has its late callbacks ignored, so those
 * reports never reach the page. (Firefox decides when the navigation starts, before any of these
 * events: a page with an open stream, socket or fetch is not cached there, whatever it closes.)
 * Only `beforeunload` (never cancelled), `pagehide` and `pageshow` are listened to: an `unload`
 * listener alone makes a page ineligible for the cache.
 */
export default function followPage(host: PageHost, since: number): void {
  if (!hosts.size) {
    addEventListener('beforeunload', onLeave);
    addEventListener('pagehide', onPage);
    addEventListener('pageshow', onPage);
  }
  // `beforeunload` came before this code had loaded: the element heard it (`since`).
  if (since > leftAt) leave(since);
  if (!hosts.has(host)) hosts.set(host, false);
  host.left = () => leaving(host);
}

/**
 * Called by a connection that failed: true when the page is leaving, and the element is then
 * paused quietly (or already was). WebKit cancels a page's fetches as soon as a navigation
 * starts, before `pagehide` ("Load failed"), and refuses new ones while the navigation is pending:
 * between `beforeunload` and `pagehide` a failure is the navigation's doing, not the server's.
 * If the page stays after all (a download, a 204 answer, a cancelled navigation) the element
 * resumes from its cursor `stay` ms later; a navigation still pending then pauses it again.
 */
export function leaving(host: PageHost): boolean {
  return performance.now() < leavingUntil && (!!hosts.get(host) || freeze(host));
}

const onLeave = () => leave(performance.now());

/** The navigation started at `at` (`performance.now()`). */
function leave(at: number): void {
  leftAt = at;
  leavingUntil = at + stay;
  clearTimeout(stayTimer);
  stayTimer = setTimeout(stayed, leavingUntil - performance.now(), true);
}

/** No `pagehide` yet: the elements paused by the navigation try again. */
function stayed(first: boolean): void {
  // WebKit also stalls an open EventSource for good when a navigation starts: it stays OPEN and
  // delivers nothing more (WebKitGTK 2.50, a navigation answered 204). One the page kept is
  // replaced by a new one, from the cursor.
  if (first)
    for (const [host] of hosts) if (host.isConnected && host.useFetch === false) freeze(host);
  const held = [...hosts].filter(([host, frozen]) => frozen && host.isConnected);
  // Nothing failed, or the navigation takes too long: failures count as failures again.
  if (!held.length || performance.now() - leftAt > leaveLimit) return void (leavingUntil = 0);
  leavingUntil = performance.now() + stay;
  stayTimer = setTimeout(stayed, stay, false);
  for (const [host] of held) thaw(host, true);
}

function onPage(event: PageTransitionEvent): void {
  clearTimeout(stayTimer);
  leavingUntil = 0;
  for (const [host, frozen] of hosts) {
    // Removed from the page: forgotten (re-inserting follows the page again).
    if (!host.isConnected) hosts.delete(host);
    else if (event.type === 'pagehide') freeze(host);
    else if (frozen) thaw(host, event.persisted);
  }
}

/** Pauses a running element quietly; false when it was not running. */
function freeze(host: PageHost): boolean {
  // A stopped feed stays so; a paused one (hidden tab) resumes by its own rule.
  if (host.disabled || ['closed', 'error', 'paused'].includes(host.state)) return false;
  hosts.set(host, true);
  // Leave first: the leader's `paused` is its own, not the group's.
  host.unshare();
  host.reconnector.cancel();
  host.setState('paused');
  host.suspend();
  return true;
}

function thaw(host: PageHost, persisted: boolean): void {
  hosts.set(host, false);
  if (!persisted || host.disabled || host.state !== 'paused') return;
  host.reconnector.reset();
  if (!host.shared) return host.start();
  // Shared: the group went on without this tab, and a follower only hears what is sent from
  // now on. So the tab resumes from its own cursor on a connection of its own, leading a group
  // of one, until it is re-opened (`start()` leaves this stand-in and joins the group again).
  host.sharing = alone(host);
  host.connect();
}

/**
 * A group of one for a restored shared tab. `<socket-relay>` publishes a shared tab's sends
 * with `echo` (each tab of a group drops its own), so this drops them too: a message waits
 * while a send is unacknowledged (the acknowledgement names the id of its echo), then is
 * delivered unless it is the echo of this tab's own send (or the element asked for `echo`).
 */
function alone(host: PageHost): object {
  const own = new Set<string | undefined>();
  const held: Event[] = [];
  let waiting = 0;
  let replaying = false;
  const mine = (event: Event) => own.delete((event as Event & { id?: string }).id) && !host.echo;
  return {
    leading: true,
    leave() {},
    pass: (event: Event) => {
      if (replaying || event.type !== 'message') return true;
      if (waiting) return !held.push(event);
      return !mine(event);
    },
    // The send as built at the call (`SharedFeed.send`'s input, so data changed after the call
    // is not what goes): its data again, as the group's leader would take it.
    send(pending: { frame: unknown; json?: string }, options: object) {
      const data =
        host.raw && host.type != 'json'
          ? pending.frame
          : JSON.parse(pending.json ?? (pending.frame as string));
      waiting++;
      let sent = false;
      try {
        sent = host.sendFor!(data, options, (id) => {
          own.add(id);
          if (--waiting) return;
          replaying = true;
          for (const event of held.splice(0)) if (!mine(event)) host.emit(event);
          replaying = false;
        });
      } finally {
        // Refused (a full queue) or thrown: no acknowledgement will come.
        if (!sent) waiting--;
      }
      return sent;
    },
  };
}

/**
 * What the tabs of one `<tab-channel>` do together, loaded on first use (`elect`, `retain`,
 * `presence`, `prefer-visible`, `request()`, `claim()`): the leader election, presence beats,
 * the retained message and requests between tabs. It all travels on the election's own
 * `BroadcastChannel` (`realtime-elements:tab-channel:<name>`), never on the channel the page
 * posts on, so plain `BroadcastChannel` code on the page's channel never sees it.
 *
 * - Presence: every member beats once a second (from the election's worker ticker, which
 *   background tabs do not throttle) and says hello on joining, so the others answer at once; a
 *   member says goodbye when it leaves or its page is hidden for good (`pagehide`); one that
 *   stops beating (crashed, hung) is dropped `LEAVE` ms after its last beat, judged on this tab's
 *   monotonic clock.
 * - Retain: every retained message (and clear) carries a stamp all members order alike: a
 *   hybrid logical clock (past every stamp heard, else the wall clock the tabs share), ties
 *   broken by tab id, taken by the element at the call and told at once (its `retainOwn()`), so
 *   this chunk loading late changes neither the order nor what is retained. "Newest" is the greater stamp, never what arrived last or who answered
 *   first, so every member keeps the same one after concurrent posts, and an answer from a
 *   member that is behind never replaces a newer message. A member that joins asks, with the
 *   one it holds; a member that holds a newer one answers; one that holds an older one adopts
 *   the asker's. Until a live retained post comes, a newer message learned so (an answer, an
 *   ask) is delivered as a `message` with `retained: true`, in stamp order (never an older one
 *   after a newer one), unless it is a post this member already had live (its channel opens
 *   before this chunk loads: what arrives between is delivered, and remembered by the element,
 *   `early`, so it does not come twice).
 * - Requests: carry ids (`<tabId>:<n>`) and go to one member; a receiver runs a request once
 *   (it remembers the last 1,000 ids). A request waits (in this tab) until its receiver is known
 *   — a member is known once its hello or beat has been heard, so its channel is open and nothing
 *   sent to it is lost — and goes again whenever its receiver changes: to the next leader when
 *   the leader closes, crashes or hangs, to another member for `any`, to the same tab when it
 *   comes back. A member that is asked as leader but no longer leads says so (`nak`), and the
 *   request goes again on the next tick. Deadlines are judged on the tick (a worker's timer, not
 *   throttled in background tabs), so a request always settles.
 * - The back/forward cache: what is posted to a cached page is lost (WebKit drops it; Chromium and
 *   Firefox evict the page instead, which then loads afresh and joins late). A member restored
 *   from the cache (`pageshow` with `persisted`) comes back as a late joiner does: it says hello,
 *   asks for the retained message again (delivered with `retained: true` when it is newer than
 *   the one held, a clear adopted silently; nothing when it is not; the others adopt its own
 *   when that is newer) and sends its pending requests again — a receiver that already ran one
 *   answers again with the reply it gave, a copy made when it was given (it remembers the
 *   replies of its last 1,000 requests), never running it twice.
 */
import { RealtimeMessageEvent } from './internal/events.js';
import type { GroupMessage, LeaderElection } from './shared/leader-election.js';

/**
 * The election, loaded as a chunk of its own (after this one), so neither chunk grows past its
 * budget and `shared` feeds reuse it.
 */
let E: typeof import('./shared/leader-election.js');

/** A member is dropped this long (ms) after its last beat. */
const LEAVE = 3000;
/** Members beat every this many ms. */
const BEAT = 1000;
/** A request to the leader fails with `no-leader` after this long (ms) without one. */
const NO_LEADER = 1500; // the election's lease and two heartbeats
/** Request ids a receiver remembers, so a request handed over twice runs once. */
const HANDLED = 1000;
/**
 * The largest stamp (µs) taken from another member: the clock then still has 2^40 steps before
 * 2^53, where `+ 1` stops adding (a post every µs for 12 days). The wall clock reaches it in 2255.
 */
const MAX_STAMP = 2 ** 53 - 2 ** 40;

/** An open tab (a `<tab-channel>` element) of the channel, as `peers` lists it. */
export interface TabPeer {
  /** The element's `tabId`. */
  tabId: string;
  /** Its `document.visibilityState` is not `hidden`. */
  visible: boolean;
  /** It leads (`elect`). */
  leader: boolean;
  /** When it joined, in ms since the epoch by its own clock (for display only). */
  since: number;
}

/** Where `request()` goes: the leader, any other member, or one member by its `tabId`. */
export type TabRequestTarget = 'leader' | 'any' | (string & Record<never, never>);

export interface TabRequestOptions {
  /** `leader` (default), `any` or a `tabId`. */
  to?: TabRequestTarget;
  /** Rejects with `timeout` after this many ms without a reply (default 10000). */
  timeout?: number;
}

/** Why `request()` failed. */
export type TabRequestErrorCode = 'timeout' | 'no-leader' | 'closed';

/** A failed `request()`: an `Error` named `TabRequestError` with a `code`. */
export interface TabRequestError extends Error {
  name: 'TabRequestError';
  code: TabRequestErrorCode;
}

/** A `message` from `<tab-channel>`: `retained` for a late joiner's catch-up, `reply` for requests. */
export interface TabChannelMessageEvent<T = unknown> extends RealtimeMessageEvent<T> {
  /** `true` when this is the channel's retained message, delivered because this tab joined late. */
  readonly retained?: boolean;
  /** A request: answers the requesting tab (the first call counts). */
  readonly reply?: (value: unknown) => void;
  /** A request: the requesting tab's `tabId`. */
  readonly sender?: string;
}

/** `leaderchange`: fired in every member when the leader changes. */
export interface LeaderChangeEvent extends Event {
  /** The leader's `tabId`; empty while none is known. */
  readonly leaderId: string;
  /** This tab leads. */
  readonly leader: boolean;
}

export const requestError = (code: TabRequestErrorCode, message: string): TabRequestError =>
  Object.assign(new Error(message), { name: 'TabRequestError' as const, code });

/** What the team needs of its element (some of it the element's internals). */
export interface TeamHost {
  readonly name: string;
  readonly tabId: string;
  readonly elect: boolean;
  readonly generation: number;
  readonly localName: string;
  readonly state: string;
  readonly channel?: unknown;
  team?: TabTeam;
  /** With `retain`: the posts delivered live since the element opened, until caught up. */
  early?: unknown[];
  /** The channel the election posts on, opened by the element as it joined. */
  readonly group?: BroadcastChannel;
  /** The hybrid logical clock (µs) of retained posts: the element's `stamp()`. */
  clock: number;
  /** The newest retained message (or clear) known here: set by the element's own. */
  held?: Stamped;
  join(): Promise<TabTeam | undefined>;
  emit(event: Event): void;
  hasAttribute(name: string): boolean;
  toggleAttribute(name: string, force: boolean): boolean;
  fail(code: string, message: string, init?: { cause?: unknown }): void;
}

/** Joins `host`'s channel, unless it closed (or re-opened) since it asked (`generation`). */
export async function join(host: TeamHost, generation: number): Promise<TabTeam | undefined> {
  // Never rejects (the element's posts wait on it): a failed load of the election's chunk (the
  // network, or the page leaving while it loads: Firefox) is the element's `unsupported` error.
  try {
    E = await import('./shared/leader-election.js');
    if (host.generation === generation) return (host.team = new TabTeam(host));
  } catch (cause) {
    if (host.generation !== generation) return;
    host.early = undefined;
    const text = E ? 'elect, retain, presence and requests need BroadcastChannel.' : String(cause);
    host.fail('unsupported', text, { cause });
  }
}

/** Runs a public method of the element on its team; `closed` when it has none (not open). */
export async function use(
  host: TeamHost,
  method: 'request' | 'claim' | 'clear',
  args: unknown[],
): Promise<unknown> {
  // (`clear` reaches here only when the element was not open: the element clears at the call.)
  const team =
    method !== 'clear' && (host.channel || host.state === 'connecting') && (await host.join());
  if (!team) throw requestError('closed', `<${host.localName}> is not open.`);
  return (team[method] as (...args: unknown[]) => unknown).apply(team, args);
}

/** A retained message or clear, as the members tell each other (`ret`, `ask`). */
export interface Stamped {
  /** hybrid logical clock (µs, the element's `stamp()`) */
  c: number;
  /** the poster's tab id (tie-break) */
  f: string;
  /** data */
  d?: unknown;
  /** cleared (a tombstone) */
  x?: 1;
  /** an answer to this member's ask */
  t?: string;
}

interface Pending {
  to: string;
  data: unknown;
  sentTo: string;
  /** performance.now() since when a leader request has had no leader */
  orphan?: number;
  /** performance.now() when it times out */
  end: number;
  resolve(value: unknown): void;
  reject(error: TabRequestError): void;
}

interface Member extends TabPeer {
  heard: number;
  /** it is a candidate (`elect`) */
  e: boolean;
}

/** A `message` event from the channel's own origin. */
const message = (init: Record<string, unknown>): Event =>
  new RealtimeMessageEvent({ origin: location.origin, ...init });
/** Live posts remembered until caught up: the newest 100 (a member nobody answers never is). */
class Recent extends Array<unknown> {
  override push(...items: unknown[]): number {
    super.push(...items);
    this.splice(0, this.length - 100);
    return this.length;
  }
}

/**
 * Two structured clones of one value: equal in content. (What cannot be compared here, a `Blob`,
 * is never the same: delivered, it may come twice, but is never lost.)
 */
function same(a: unknown, b: unknown, seen = new Map<object, unknown>()): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) return false;
  // A cycle (structured clone keeps them): a pair already being compared.
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b) || a instanceof Blob) return false;
  // Dates and boxed primitives by value; regular expressions and errors by their text.
  if (a.valueOf() !== a) return Object.is(a.valueOf(), b.valueOf());
  if (String(a) !== String(b)) return false;
  if (a instanceof ArrayBuffer || ArrayBuffer.isView(a)) return same(bytes(a), bytes(b), seen);
  if (a instanceof Map || a instanceof Set) return same([...a], [...(b as Set<unknown>)], seen);
  const keys = Object.keys(a);
  const other = b as Record<string, unknown>;
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => same((a as Record<string, unknown>)[key], other[key], seen))
  );
}
const bytes = (x: object): number[] => [
  ...(ArrayBuffer.isView(x)
    ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
    : new Uint8Array(x as ArrayBuffer)),
];
const newer = (a: Stamped, b?: Stamped): boolean => !b || a.c > b.c || (a.c === b.c && a.f > b.f);

export class TabTeam {
  readonly election: LeaderElection;
  private readonly id: string;
  private readonly since = Date.now();
  private readonly members = new Map<string, Member>();
  private readonly pending = new Map<string, Pending>();
  /** Requests run here, with their reply once given (sent again if the request comes again). */
  private readonly handled = new Map<string, { v?: unknown }>();
  private readonly claims: [() => void, (error: TabRequestError) => void][] = [];
  private readonly untick: () => void;
  /**
   * Posts may have been missed: since joining, or since the page went into the back/forward
   * cache, until a live `ret` comes. What is learned meanwhile (an answer, an ask) is delivered.
   */
  private unsure = true;
  private sent = 0;
  private ticks = 0;
  private lastTick = performance.now();
  private shown = '[]';
  private stopped = false;
  private readonly retain: boolean;
  private readonly presence: boolean;

  constructor(private readonly host: TeamHost) {
    this.id = host.tabId;
    this.retain = host.hasAttribute('retain');
    this.presence = host.hasAttribute('presence');
    host.early = this.retain ? Recent.from(host.early ?? []) : undefined;
    this.election = new E.LeaderElection(
      `tab-channel:${host.name}`,
      {
        leaderChanged: (id) => this.leaderChanged(id),
        message: (message) => this.heard(message),
      },
      {
        candidate: host.elect,
        preferVisible: host.hasAttribute('prefer-visible'),
        id: this.id,
        channel: host.group,
      },
    );
    this.untick = E.onTick(() => this.tick());
    addEventListener('pagehide', this.out);
    addEventListener('pageshow', this.back);
    document.addEventListener('visibilitychange', this.beat);
    this.beat(true);
    // With its own post made while this chunk loaded (told then): the others adopt it if newer.
    if (this.retain) this.election.post('ask', host.held);
  }

  /** The open members, this one first. */
  peers(): TabPeer[] {
    const leaderId = this.election.leaderId;
    const self: TabPeer = {
      tabId: this.id,
      visible: E.visible(),
      leader: false,
      since: this.since,
    };
    return [self, ...this.members.values()].map(({ tabId, visible, since }) => ({
      tabId,
      visible,
      leader: tabId === leaderId,
      since,
    }));
  }

  request(
    data: unknown,
    { to = 'leader', timeout = 10_000 }: TabRequestOptions = {},
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(requestError('closed', 'closed'));
      if (typeof to !== 'string' || typeof timeout !== 'number' || Number.isNaN(timeout)) {
        // A NaN deadline would never come: the request could hang.
        return reject(new TypeError('request(): `to` is a string, `timeout` a number of ms.'));
      }
      const id = `${this.id}:${++this.sent}`;
      const request: Pending = {
        to,
        // (cloned by the element's request(): it may be sent later, receiver not yet known)
        data,
        sentTo: '',
        end: performance.now() + timeout,
        resolve,
        reject,
      };
      this.pending.set(id, request);
      this.route(id, request);
    });
  }

  /** Resolves once this member leads. */
  claim(): Promise<void> {
    if (!this.host.elect) {
      return Promise.reject(
        new DOMException('claim() needs the elect attribute.', 'InvalidStateError'),
      );
    }
    if (this.election.valid()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.claims.push([resolve, reject]);
      this.election.claim();
    });
  }

  /** The leader's `tabId`, or empty. */
  get leaderId(): string {
    return this.election.leaderId;
  }

  /** Leaves the channel; the element forgets this team. */
  stop(): void {
    if (this.stopped) return;
    this.host.team = undefined;
    const leading = this.election.leading;
    this.out();
    this.stopped = true;
    this.election.stop();
    this.untick();
    removeEventListener('pagehide', this.out);
    removeEventListener('pageshow', this.back);
    document.removeEventListener('visibilitychange', this.beat);
    for (const id of [...this.pending.keys()]) {
      this.settle(id, requestError('closed', 'closed'));
    }
    for (const [, reject] of this.claims.splice(0)) reject(requestError('closed', 'closed'));
    if (leading) this.setLeader(false, '');
  }

  /**
   * A retained message heard of, adopted when its stamp is newer (never by arrival order: a
   * stale answer never replaces a newer message). `missed`: an answer or another's ask, not a
   * live post: delivered, with `retained: true`, to a member that may have missed it, unless it
   * came live (the element's `early`).
   */
  private learn(stamped: Stamped, missed?: boolean): void {
    // (Foreign stamps that would stop the clock, NaN or near 2^53, are not stamps.)
    if (!Number.isSafeInteger(stamped?.c) || stamped.c > MAX_STAMP) return;
    const { host } = this;
    host.clock = Math.max(host.clock, stamped.c);
    if (!newer(stamped, host.held)) return;
    host.held = { c: stamped.c, f: stamped.f, d: stamped.d, x: stamped.x };
    if (missed && this.unsure && !stamped.x && !host.early?.some((data) => same(data, stamped.d))) {
      // A copy: the page may change what it is given; what is held is handed to newcomers.
      host.emit(message({ data: structuredClone(stamped.d), retained: true }));
    }
  }

  private settle(id: string, error?: TabRequestError, value?: unknown): void {
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    if (error) request.reject(error);
    else request.resolve(value);
  }

  /** Sends a pending request to the member it is for now, if that changed. */
  private route(id: string, request: Pending): void {
    const { to, sentTo } = request;
    const { members } = this;
    // Only to a member heard from (its channel is open): sent earlier, it would be lost.
    const target =
      to === 'leader'
        ? this.election.leaderId
        : to !== 'any'
          ? to === this.id || members.has(to)
            ? to
            : ''
          : // `any` stays with the member it went to while that one is open.
            members.has(sentTo)
            ? sentTo
            : [...members.keys()].sort()[0];
    if (!target) {
      request.sentTo = '';
      request.orphan ??= performance.now();
      return;
    }
    request.orphan = undefined;
    if (target === request.sentTo) return;
    request.sentTo = target;
    const message = { i: id, t: target, l: to === 'leader', d: request.data };
    if (target === this.id) queueMicrotask(() => this.answer(message, this.id));
    else this.election.post('req', message);
  }

  private answer(request: { i: string; t: string; l: boolean; d: unknown }, sender: string): void {
    if (this.stopped || request.t !== this.id) return;
    const done = this.handled.get(request.i);
    if (done) {
      // Asked again (the sender was in the back/forward cache when the reply came): the reply it
      // gave, never a second run.
      if ('v' in done) this.election.post('res', { i: request.i, t: sender, v: done.v });
      return;
    }
    // Sent to the leader: a member that is not (any more) says so; the sender tries again.
    if (request.l && !this.election.valid()) {
      this.election.post('nak', { i: request.i, t: sender });
      return;
    }
    const record: { v?: unknown } = {};
    this.handled.set(request.i, record);
    if (this.handled.size > HANDLED) this.handled.delete(this.handled.keys().next().value!);
    let replied = false;
    const reply = (value: unknown): void => {
      if (replied || this.stopped) return;
      // Cloned first (a value that cannot be cloned throws and leaves the reply unused), and
      // remembered as it was given, whatever the page does to `value` later.
      const v = structuredClone(value);
      if (sender === this.id) this.settle(request.i, undefined, v);
      else this.election.post('res', { i: request.i, t: sender, v });
      record.v = v; // (sent again to another member only: this one's own request settled)
      replied = true;
    };
    this.host.emit(message({ data: request.d, reply, sender }));
  }

  private heard({ k: kind, f: from, p }: GroupMessage): void {
    if (this.stopped || from === this.id) return;
    const payload = (p ?? {}) as Record<string, unknown>;
    switch (kind) {
      case 'hi': {
        const known = this.members.has(from);
        this.members.set(from, {
          tabId: from,
          visible: !!payload.v,
          leader: false,
          since: Number(payload.s),
          heard: performance.now(),
          e: !!payload.e,
        });
        // A newcomer learns of every member at once.
        if (payload.w) this.beat();
        if (!known) this.reroute();
        break;
      }
      case 'out':
        this.members.delete(from);
        this.reroute();
        break;
      case 'ask': {
        // The asker's own (a member back from the back/forward cache, or one that posted as it
        // opened, may hold a newer one): then it is answered only by a member that holds a
        // newer one, a clear too.
        if (!this.retain) return;
        this.learn(p as Stamped, true);
        const { held } = this.host;
        if (held && newer(held, p as Stamped)) this.election.post('ret', { ...held, t: from });
        return;
      }
      case 'ret': {
        const stamped = p as Stamped;
        if (!this.retain || !stamped) return;
        if (!stamped.t && this.host.channel) {
          // A live post (its data comes on the page's channel): this member is up to date.
          this.learn(stamped);
          this.unsure = false;
          this.host.early = undefined;
        } else if (!stamped.t || stamped.t === this.id) {
          // An answer, or a post heard while this member's fallback transport still opens: its
          // data went out before the channel here received, so it never comes on it.
          this.learn(stamped, true);
        }
        return;
      }
      case 'req':
        // (`payload`, never `p`: a foreign `req` without one is ignored, not a TypeError)
        this.answer(payload as { i: string; t: string; l: boolean; d: unknown }, from);
        return;
      case 'res': {
        const res = payload as { i: string; t: string; v: unknown };
        if (res.t === this.id) this.settle(res.i, undefined, res.v);
        return;
      }
      case 'nak': {
        // Asked as leader, it no longer leads: the next tick sends the request again.
        const request = payload.t === this.id && this.pending.get(payload.i as string);
        if (request && request.sentTo === from) request.sentTo = '';
        return;
      }
      default:
        return;
    }
    this.show();
  }

  private leaderChanged(leaderId: string): void {
    if (this.stopped) return;
    const leading = leaderId === this.id && this.election.leading;
    this.setLeader(leading, leaderId);
    if (leading) this.claims.splice(0).forEach(([resolve]) => resolve());
    this.reroute();
    this.show();
  }

  private setLeader(leading: boolean, leaderId: string): void {
    this.host.toggleAttribute('leader', leading);
    this.host.emit(Object.assign(new Event('leaderchange'), { leaderId, leader: leading }));
  }

  private reroute(): void {
    for (const [id, request] of this.pending) this.route(id, request);
  }

  private tick(): void {
    const now = performance.now();
    // This tab was hung itself: the others' beats are still queued; judge from now on.
    if (now - this.lastTick > E.LEASE) this.members.forEach((member) => (member.heard = now));
    this.lastTick = now;
    if (++this.ticks % (BEAT / E.HEARTBEAT) === 0) this.beat();
    for (const [id, member] of this.members) {
      if (now - member.heard > LEAVE) {
        this.members.delete(id);
        this.reroute();
      }
    }
    // `no-leader` only while no member (this one included) could lead: a candidate that is
    // slow to win (a loaded machine, a hung leader's lease running out) is waited for.
    const candidates = this.host.elect || [...this.members.values()].some((member) => member.e);
    for (const [id, request] of this.pending) {
      if (now >= request.end) {
        this.settle(id, requestError('timeout', `No reply within the timeout.`));
      } else if (
        !candidates &&
        request.orphan !== undefined &&
        request.to === 'leader' &&
        now - request.orphan > NO_LEADER
      ) {
        this.settle(id, requestError('no-leader', 'no leader'));
      }
    }
    this.reroute();
    this.show();
  }

  /** Posts this member's presence; `welcome` asks the others to answer at once. */
  private readonly beat = (welcome?: unknown): void => {
    if (this.stopped) return;
    this.election.post('hi', {
      v: E.visible(),
      s: this.since,
      w: welcome === true ? 1 : 0,
      e: this.host.elect ? 1 : 0,
    });
    this.show();
  };

  /** Leaving, or the page going away (or into the back/forward cache: see `back`). */
  private readonly out = (): void => this.election.post('out');

  /**
   * Back from the back/forward cache, where what the others sent was lost: hello again (the
   * others answer at once), the retained message asked for again, pending requests sent again.
   */
  private readonly back = (event: PageTransitionEvent): void => {
    if (!event.persisted || this.stopped) return;
    this.beat(true);
    if (this.retain) {
      // (Still asking since it joined: what it delivered meanwhile is remembered.)
      if (!this.unsure) this.host.early = new Recent();
      this.unsure = true;
      // Over idb or cookie, the transport first delivers live what was written while the page
      // was cached; asked after that, an answer carrying one of those is known as delivered
      // (`early`) and not given twice. (No timer: the transport says when it has read.)
      void Promise.resolve(
        (this.host.channel as { caughtUp?(): Promise<void> } | undefined)?.caughtUp?.(),
      ).then(() => this.stopped || this.election.post('ask', this.host.held));
    }
    for (const request of this.pending.values()) request.sentTo = '';
    this.reroute();
  };

  /** Fires `peerschange` (with `presence`) when the list changed. */
  private show(): void {
    if (!this.presence || this.stopped) return;
    const shown = JSON.stringify(this.peers().map(({ since: _, ...peer }) => peer));
    if (shown === this.shown) return;
    this.shown = shown;
    this.host.emit(new Event('peerschange'));
  }
}

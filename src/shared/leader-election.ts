/**
 * One leader among the tabs of an origin that join the same group, with a lease:
 *
 * - Web Locks elect: the first tab to request the group's lock leads, the others queue, and a
 *   tab that closes, reloads or crashes releases the lock at once, so the next one leads.
 * - A hung or frozen tab keeps its lock, so the leader also proves it is alive: it posts a
 *   heartbeat every 250 ms on the group's BroadcastChannel. Followers that hear none for a
 *   second take the lock over (`steal`). A leader whose own clock shows it missed its beats
 *   (it was hung) steps down before doing anything else — a fence, so a woken leader never
 *   acts on its stale view.
 * - Only one follower takes over from a given leader: each leadership has a lease id (in its
 *   heartbeats) and a takeover first takes the lock `…:takeover:<lease>` if it is free. Two
 *   followers stealing one after the other (the second before it heard the first's beat) would
 *   make two leaders at once, and a follower listening to the wrong one loses events.
 * - Where Web Locks are missing, the heartbeats alone elect: a tab that hears no leader for a
 *   second claims the group, and of two claimants the smaller id wins.
 *
 * - `claim()` takes the lead at once (Web Locks `steal`; without them a `clm` message makes the
 *   leader step down). With `preferVisible`, a visible candidate claims when the leader has been
 *   hidden for `DWELL` ms or more (each heartbeat says whether its tab is visible), so switching
 *   tabs back and forth quickly never moves the lead.
 * - A member that is not a `candidate` only follows: it knows the leader, never leads.
 *
 * The beat comes from a tiny worker when one can be made: background tabs throttle their own
 * timers to once a second, workers' timers are not, so a leader in a background tab keeps its
 * lease and a real hang (which stops the tab's main thread) still shows.
 */

import { randomId } from '../internal/random-id.js';

/** A beat every this many ms. */
export const HEARTBEAT = 250;
/** Followers take over after this long without a beat. */
export const LEASE = 1000;
/** A leader that went this long without running its beat was hung: it steps down. */
const FENCE = 750;
/**
 * With `preferVisible`: the least time (ms) a leader has been hidden, by its own heartbeats,
 * before a visible tab takes over. Longer than a glance at another tab.
 */
export const DWELL = 2000;

/** The page is not hidden (`document.visibilityState`). */
export const visible = (): boolean => document.visibilityState !== 'hidden';

type Tick = () => void;
const ticks = new Set<Tick>();
let stopTicker: (() => void) | undefined;

/** One ticker per page drives every election in it: `tick` runs every `HEARTBEAT` ms. */
export function onTick(tick: Tick): () => void {
  ticks.add(tick);
  if (!stopTicker) {
    const fire = () => ticks.forEach((each) => each());
    try {
      const url = URL.createObjectURL(
        new Blob([`setInterval(() => postMessage(0), ${HEARTBEAT})`], { type: 'text/javascript' }),
      );
      const worker = new Worker(url);
      URL.revokeObjectURL(url);
      worker.onmessage = fire;
      stopTicker = () => worker.terminate();
    } catch {
      // A CSP without blob: workers: page timers (throttled in background tabs).
      const timer = setInterval(fire, HEARTBEAT);
      stopTicker = () => clearInterval(timer);
    }
  }
  return () => {
    ticks.delete(tick);
    if (!ticks.size) {
      stopTicker?.();
      stopTicker = undefined;
    }
  };
}

/** What the group's members post to each other. */
export interface GroupMessage {
  /** `hb` heartbeat, `bye` the leader leaves, `app` the user's own messages */
  k: string;
  /** sender id */
  f: string;
  /** payload */
  p?: unknown;
  /** a heartbeat's lease id: new for each leadership */
  e?: string;
  /** heartbeat: the leader's tab is visible */
  v?: boolean;
}

export interface ElectionOptions {
  /** Takes part in the election (default); `false` only follows the leader. */
  candidate?: boolean;
  /** Take over from a leader hidden for `DWELL` ms while this tab is visible. */
  preferVisible?: boolean;
  /** This member's id (default: a random one). */
  id?: string;
  /**
   * The group's channel (`realtime-elements:<group>`), when the caller opened it already (and
   * posted on it meanwhile); closed by `stop()`.
   */
  channel?: BroadcastChannel;
}

export interface ElectionCallbacks {
  /** This tab leads now. */
  lead?(): void;
  /** This tab stopped leading (it left, lost the lock, or was fenced). */
  follow?(): void;
  /** Another tab leads now, or the old leader is gone (`leaderId` empty). */
  leaderChanged?(leaderId: string): void;
  /** A message from another member (a leader's heartbeat carries `heartbeat()`'s payload). */
  message?(message: GroupMessage): void;
  /** The leader's extra heartbeat payload (e.g. its state and cursor). */
  heartbeat?(): unknown;
}

export class LeaderElection {
  readonly id: string;
  leading = false;
  leaderId = '';

  private readonly channel: BroadcastChannel;
  private readonly lockName: string;
  private readonly untick: () => void;
  private queued?: AbortController;
  private releaseLock?: () => void;
  private lastTick = performance.now();
  private lastHeard = performance.now();
  /** Followers wait a random extra delay before taking over, so two seldom try at once. */
  private readonly patience = LEASE + Math.random() * HEARTBEAT;
  private stopped = false;
  /** The current leadership's lease id (this tab's own while it leads). */
  private lease = '';
  /** Releases the takeover locks this tab holds. */
  private readonly takeovers: (() => void)[] = [];
  /** When (performance.now) the leader's heartbeats started saying it is hidden. */
  private hiddenSince?: number;
  private readonly candidate: boolean;
  private readonly preferVisible: boolean;

  constructor(
    group: string,
    private readonly on: ElectionCallbacks,
    { candidate = true, preferVisible = false, id = randomId(), channel }: ElectionOptions = {},
  ) {
    this.id = id;
    this.candidate = candidate;
    this.preferVisible = preferVisible;
    this.lockName = `realtime-elements:${group}`;
    this.channel = channel ?? new BroadcastChannel(this.lockName);
    this.channel.onmessage = (event) => this.heard(event.data as GroupMessage);
    this.untick = onTick(() => this.tick());
    this.queue();
  }

  /** Posts to every other member of the group. */
  post(kind: string, payload?: unknown): void {
    if (!this.stopped) this.channel.postMessage({ k: kind, f: this.id, p: payload });
  }

  /**
   * True while this tab may act as leader. A leader that was hung (its beat did not run for
   * longer than the fence) steps down here, before it acts on anything.
   */
  valid(): boolean {
    if (this.leading && performance.now() - this.lastTick > FENCE) this.stepDown();
    return this.leading;
  }

  /** Leaves the group: a leader says so, so a follower takes over at once. */
  stop(): void {
    if (this.stopped) return;
    if (this.leading) this.post('bye');
    this.stopped = true;
    this.leading = false;
    this.untick();
    this.queued?.abort();
    this.releaseLock?.();
    for (const release of this.takeovers.splice(0)) release();
    this.channel.close();
  }

  /**
   * Takes the lead now (a "use here" button); `lead()` runs when it has it. A no-op for a
   * member that is not a candidate, has left, or already leads.
   */
  claim(): void {
    if (this.stopped || !this.candidate || this.leading) return;
    if (this.locks) this.queue(true);
    else {
      this.post('clm');
      this.lead();
    }
  }

  private get locks(): LockManager | undefined {
    return navigator.locks;
  }

  /** Waits in the lock's queue (with Web Locks); the grant makes this tab the leader. */
  private queue(steal = false): void {
    if (this.stopped || !this.locks || !this.candidate) return;
    this.queued?.abort();
    const queued = (this.queued = new AbortController());
    this.locks
      .request(
        this.lockName,
        steal ? { steal: true } : { signal: queued.signal },
        () =>
          new Promise<void>((release) => {
            if (this.stopped || this.queued !== queued) return release();
            this.releaseLock = release;
            this.lead();
          }),
      )
      .catch(() => {
        // Aborted while queued (we left or are stealing), or the lock was stolen from us.
        if (this.queued === queued && this.leading) this.stepDown();
      });
  }

  private lead(): void {
    if (this.leading || this.stopped) return;
    this.leading = true;
    this.lease = randomId();
    this.lastTick = performance.now();
    this.setLeader(this.id);
    this.beat();
    this.on.lead?.();
  }

  private stepDown(): void {
    if (!this.leading) return;
    this.leading = false;
    const release = this.releaseLock;
    this.releaseLock = undefined;
    this.lastHeard = performance.now();
    this.setLeader('');
    this.on.follow?.();
    release?.();
    // Back in the queue: this tab may lead again later.
    this.queue();
  }

  private setLeader(id: string): void {
    if (id === this.leaderId) return;
    this.leaderId = id;
    this.hiddenSince = undefined;
    this.on.leaderChanged?.(id);
  }

  private beat(): void {
    if (!this.stopped) {
      const beat: GroupMessage = {
        k: 'hb',
        f: this.id,
        p: this.on.heartbeat?.(),
        e: this.lease,
        v: visible(),
      };
      this.channel.postMessage(beat);
    }
  }

  /**
   * Steals the lock from a leader that stopped beating, unless another follower is already
   * taking over from that same leadership (then its beat is on the way). The takeover lock is
   * held until this tab leaves: no later follower takes over for that leadership again.
   */
  private takeOver(lease: string): void {
    void this.locks!.request(
      `${this.lockName}:takeover:${lease}`,
      { ifAvailable: true },
      (lock) => {
        // Another follower took this one over. Should it hang before its first beat, no beat
        // names a new lease: after another lease of silence the next takeover is for the lease
        // after this one, which again only one follower gets.
        if (!lock && this.lease === lease) this.lease = `${lease}+`;
        if (!lock || this.stopped) return;
        this.queue(true);
        return new Promise<void>((release) => this.takeovers.push(release));
      },
    );
  }

  private tick(): void {
    const now = performance.now();
    const stalled = now - this.lastTick > FENCE;
    this.lastTick = now;
    if (this.leading) {
      // A leader that missed its beats was hung: followers may have taken over meanwhile.
      if (stalled) return this.stepDown();
      return this.beat();
    }
    // A follower that was itself hung has heartbeats still queued: it judges on the next tick.
    if (stalled) return;
    if (now - this.lastHeard < this.patience) {
      // The dwell is judged on the leader's beats and this tab's monotonic clock; the extra
      // random wait keeps two visible tabs from claiming in the same beat.
      if (
        this.preferVisible &&
        this.hiddenSince !== undefined &&
        now - this.hiddenSince > DWELL + this.patience - LEASE &&
        visible()
      ) {
        this.hiddenSince = undefined;
        this.claim();
      }
      return;
    }
    this.lastHeard = now;
    const { lease } = this;
    this.setLeader('');
    if (!this.candidate) return;
    // A tab that never heard this leadership beat has no lease to guard the takeover with.
    if (!this.locks) this.lead();
    else if (lease) this.takeOver(lease);
    else this.queue(true);
  }

  private heard(message: GroupMessage): void {
    if (this.stopped || !message || typeof message.f !== 'string') return;
    if (message.k === 'hb' || message.k === 'bye') {
      if (this.leading && message.k === 'hb') {
        // Two leaders: only without Web Locks, or a fenced one that has not noticed yet.
        if (!this.valid()) {
          // stepped down: fall through as a follower
        } else if (this.locks || message.f > this.id) {
          return;
        } else {
          this.stepDown();
        }
      }
      if (message.k === 'bye') {
        if (message.f === this.leaderId) {
          this.setLeader('');
          // Without Web Locks nobody is queued: the first to notice claims the group.
          if (!this.locks && this.candidate) this.lead();
        }
        return;
      }
      this.lastHeard = performance.now();
      this.lease = message.e ?? '';
      this.setLeader(message.f);
      if (message.v !== false) this.hiddenSince = undefined;
      else this.hiddenSince ??= this.lastHeard;
    } else if (message.k === 'clm') {
      // Without Web Locks: a claimant takes over from the leader.
      if (this.leading) this.stepDown();
      return;
    }
    this.on.message?.(message);
  }
}

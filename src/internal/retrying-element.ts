import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement } from './realtime-element.js';
import { ReconnectController } from './reconnect-controller.js';
import type { RealtimeErrorInit, RealtimeEventMap } from './events.js';
import type { BuiltSend, SharedFeed } from '../shared/shared-feed.js';

/** When the page last fired `beforeunload` (`performance.now()`, ms), heard from the first open on. */
let unloading = -1e9;
const onUnload = () => void (unloading = performance.now());

/**
 * The base of the network elements: the shared reconnect policy as attributes (`retry-min`,
 * `retry-max`, `max-retries`), a `retryCount`, one way to go from a failure to the next
 * attempt or to giving up, `shared` mode (one connection for all tabs, loaded on first use),
 * and the back/forward cache (`internal/page-lifecycle.ts`, which each element loads when it
 * first connects, `beginAttempt()`: its `suspend()` is called on `pagehide`), with the one path of every
 * failure of the network's kind, `lost()`, quiet while the page leaves.
 */
export abstract class RetryingElement<
  M extends RealtimeEventMap = RealtimeEventMap,
> extends RealtimeElement<M> {
  static override properties: PropertyDeclarations = {
    retryMin: { type: Number, attribute: 'retry-min' },
    retryMax: { type: Number, attribute: 'retry-max' },
    maxRetries: { type: Number, attribute: 'max-retries' },
    shared: { type: Boolean, reflect: true },
  };

  /** Smallest reconnect delay, ms. */
  retryMin = 1000;
  /** Largest reconnect delay, ms (a server-given floor may exceed it). */
  retryMax = 30_000;
  /** Consecutive failed attempts before giving up. */
  maxRetries = Infinity;

  /** One connection for all tabs of the origin showing this feed, held by the leading tab. */
  shared = false;

  /**
   * Renews the credentials (an async function; `headers` / `auth` are then evaluated again).
   * Called once when the server answers 401 or the hub closes with 4401 (a second refusal in a
   * row is final: `unauthorized`), and each time the hub says the credentials expire. In
   * `shared` mode only the leading tab calls it. A 403 is final: forbidden is not expired.
   */
  refresh: (() => unknown) | null = null;
  /**
   * Ms a `refresh` call may take: one that has not settled by then counts as failed
   * (`auth-failed`), so a refresh that never answers cannot leave the element `connecting`.
   */
  refreshTimeout = 30_000;
  /** `refresh` ran after a refusal and no connection has been accepted since. */
  protected renewed = false;
  /** The `refresh` call in flight, which a second reason to renew joins (`internal/renewal.ts`). */
  declare protected renewing?: Promise<boolean>;

  protected readonly reconnector = new ReconnectController(this, () => {
    // A `shared` feed whose shared-mode code did not load tries to join again.
    if (this.superseded) return;
    if (this.shared && !this.sharing) this.start();
    else this.connect();
  });
  /** The resume point: the last event id delivered. */
  protected cursor = '';
  protected sharing?: SharedFeed;
  /** Set by `internal/page-lifecycle.ts`: true (the element then paused) while the page leaves. */
  declare protected left?: () => boolean;
  private joining?: object;
  /** Shared sends made while the shared machinery loads. */
  private early: [pending: BuiltSend, options: object][] = [];

  /** Consecutive failed attempts since the last stable connection. */
  get retryCount(): number {
    return this.reconnector.attempt;
  }

  /** Shared mode: this tab holds the connection (the reflected `leader` attribute). */
  get leader(): boolean {
    return this.hasAttribute('leader');
  }

  /**
   * The one path of every failure of the network's kind (`code`: `network`, `timeout`,
   * `heartbeat-timeout`, a rejected `auth`; none: a drop or a close) — of the connection, or of
   * loading its code. While the page leaves (from `beforeunload` on; Firefox and WebKit cut a
   * leaving page's requests, sockets and chunk loads before `pagehide`) it is the navigation's
   * doing: the element pauses quietly (state `paused`, no `error`, no `close`) and resumes from
   * its cursor if the page stays after all or comes back from the back/forward cache
   * (`internal/page-lifecycle.ts`). Else `code` is reported. True when the caller goes on (to
   * retry): not paused.
   */
  protected lost(code?: string, message = '', init?: RealtimeErrorInit): boolean {
    if (this.left?.()) return false;
    // Within a second of `beforeunload` without the page-lifecycle code (its load may have been
    // cancelled too): not reported either, and tried again as usual — the page may stay.
    if (code && performance.now() - unloading > 1000) this.fail(code, message, init);
    return true;
  }

  /** Starts one connection attempt. Never called by a following tab. */
  protected abstract connect(): void;

  /**
   * Drops the connection without a word (no `close`, no `error`; the state is `paused`
   * already): the page is being hidden. Late callbacks of the dropped connection must be
   * ignored. The cursor stays.
   */
  protected abstract suspend(): void;

  /** Shared mode, following: another tab holds the connection. */
  protected get following(): boolean {
    return this.shared && !this.sharing?.leading;
  }

  /**
   * After a refusal (or an expiry, `expiring`): `renew()`, then connect at once unless `stale()`
   * (the page changed course meanwhile); a refusal that could not be renewed is final.
   */
  protected renewThen(expiring: boolean, stale: () => boolean): void {
    this.setState('connecting');
    void import('./renewal.js').then(
      (m) => m.renewThen(this as never, expiring, stale),
      (cause: unknown) => stale() || this.halt('auth-failed', 'refresh() did not load.', { cause }),
    );
  }

  /** The page asked for a fresh start (`reconnect()`): a new backoff, and `refresh` a new turn. */
  protected freshStart(): void {
    this.renewed = false;
    this.reconnector.reset();
  }

  /** Connects, or joins the tabs that share the connection. */
  protected start(): void {
    this.unshare();
    if (!this.shared) return this.connect();
    this.beginAttempt();
    const joining = (this.joining = {});
    const current = () => this.joining === joining;
    import('../shared/shared-feed.js').then(
      (m) => current() && m.share(this as never),
      // A load that failed (one the navigation cancelled: quiet) is tried again, as any
      // connection code's.
      (cause: unknown) =>
        current() &&
        this.lost('network', 'The connection code did not load.', { cause }) &&
        this.settleRetry(this.scheduleRetry()),
    );
  }

  /** Leaves the group of sharing tabs (a leader's connection is then taken over). */
  protected unshare(): void {
    if (this.sharing?.dropping) return;
    this.sharing?.leave();
    this.joining = this.sharing = undefined;
    this.toggleAttribute('leader', false);
  }

  /** `<socket-relay>` sends in shared mode (the send as built at the call): through the leading tab. */
  protected shareSend(pending: BuiltSend, options: object): boolean {
    if (this.sharing) return this.sharing.send(pending, options);
    this.early.push([pending, options]);
    return true;
  }

  /** Subclasses release their connection after this. */
  protected release(): void {
    // Re-enabled, a new src, re-inserted: a refusal then is a new one, `refresh` gets its turn.
    this.renewed = false;
    this.unshare();
  }

  protected override emit<K extends keyof M & string>(event: M[K] & Event): boolean {
    return !this.sharing || this.sharing.pass(event) ? super.emit(event) : false;
  }

  /**
   * Takes the current policy attributes and marks the element as connecting. Follows the page
   * from the first attempt on: `beforeunload` is heard at once, so a failure in a navigation's
   * wake is known as such even before the back/forward cache code (`internal/page-lifecycle.ts`)
   * has loaded — loaded now too, not on `pagehide`, when the page may be frozen before an import
   * settles; a load the navigation cancelled is tried again with the next attempt.
   */
  protected beginAttempt(): void {
    addEventListener('beforeunload', onUnload);
    import('./page-lifecycle.js').then(
      (m) => m.default(this as never, unloading),
      () => {},
    );
    Object.assign(this.reconnector.policy, {
      retryMin: this.retryMin,
      retryMax: this.retryMax,
      maxRetries: this.maxRetries ?? Infinity,
    });
    this.setState('connecting');
  }

  /** Schedules the next attempt after a failure; returns its delay, or -1 when giving up. */
  protected scheduleRetry(retryAfter = 0): number {
    // A listener already decided (close(), reconnect(), …): schedule nothing of our own.
    if (this.superseded) return -1;
    return this.reconnector.failed(retryAfter);
  }

  /** Reflects the outcome of `scheduleRetry` (call it after any `close` event). */
  protected settleRetry(delay: number): void {
    if (delay >= 0) return this.setState('connecting');
    this.halt('retries-exhausted', `Gave up after ${this.maxRetries} attempts.`);
  }
}

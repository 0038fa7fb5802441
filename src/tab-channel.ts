import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement, type TypedEventTarget } from './internal/realtime-element.js';
import { RealtimeMessageEvent, type RealtimeEventMap } from './internal/events.js';
import type { Channel, FallbackHost } from './transports/open-fallback.js';
import type {
  LeaderChangeEvent,
  Stamped,
  TabChannelMessageEvent,
  TabPeer,
  TabRequestOptions,
  TabTeam,
  TeamHost,
} from './tab-channel-team.js';

export type {
  LeaderChangeEvent,
  TabChannelMessageEvent,
  TabPeer,
  TabRequestError,
  TabRequestErrorCode,
  TabRequestOptions,
  TabRequestTarget,
} from './tab-channel-team.js';

/** How `<tab-channel>` carries messages. */
export type TabChannelTransport = 'auto' | 'broadcast' | 'storage' | 'idb' | 'cookie';

/** Posts held while a fallback transport loads. */
const QUEUE_LIMIT = 1000;

export interface TabChannelEventMap<In = unknown> extends RealtimeEventMap {
  message: TabChannelMessageEvent<In>;
  leaderchange: LeaderChangeEvent;
  peerschange: Event;
}

/**
 * Messages between the tabs, windows and workers of one origin, over `BroadcastChannel`, or
 * where that is missing (or across sibling subdomains) over a fallback transport: `storage`
 * events, IndexedDB polling or cookie polling, loaded on first use. Over `BroadcastChannel`
 * posts are the posted values themselves (no wrapper), so plain `BroadcastChannel` code on the
 * same name interoperates in both directions.
 *
 * @summary Tab ⇄ tab messaging on a named channel.
 * @tagname tab-channel
 *
 * @attr {string} name - Channel name (required). Changing it re-opens on the new channel.
 * @attr {'auto' | 'broadcast' | 'storage' | 'idb' | 'cookie'} transport - `auto`, `broadcast`, `storage`, `idb` or `cookie`: see [Transports](#transports). Changing it re-opens.
 * @attr {string} domain - Cookie transport: the parent domain whose subdomains share the channel (`example.com`). Implies `cookie` under `auto`.
 * @attr {boolean} disabled - Keeps the channel closed.
 * @attr {boolean} elect - Take part in a leader election among the tabs on this channel: one holds `leader`. See [Who leads](#who-leads).
 * @attr {boolean} prefer-visible - With `elect`: take the lead from a leader whose tab has been hidden for 2 s or more while this tab is visible.
 * @attr {boolean} retain - Remember the newest post (by a hybrid logical clock) and hand it to tabs that open later, as a `message` with `retained: true`. See [Late joiners](#late-joiners).
 * @attr {boolean} presence - Keep `peers`, the open tabs of the channel, and fire `peerschange`. See [Who is open](#who-is-open).
 * @attr {boolean} echo - Also deliver this element's own posts to itself (as a copy).
 * @attr {string} state - `connecting` (a fallback transport loading), `open`, `closed` or `error` (reflected).
 *
 * @fires {TabChannelMessageEvent} message - Another context posted on the channel. Never your own post unless `echo`. Carries `data`, `origin`; `retained: true` for a late joiner's catch-up; `reply(value)` and `sender` for a `request()`.
 * @fires {Event} open - The channel opened.
 * @fires {LeaderChangeEvent} leaderchange - In every member (`elect`, `retain`, `presence`, `prefer-visible`): the leader changed. Carries `leaderId` (empty while none is known) and `leader` (this tab leads).
 * @fires {Event} peerschange - With `presence`: a tab joined or left, or one's `visible` or `leader` changed (read `peers`).
 * @fires {Event} close - The channel closed (removed, disabled, renamed or transport changed).
 * @fires {RealtimeErrorEvent} error - `code`: `missing-name`, `invalid-attribute`, `unsupported`, `deserialize-failed`, `too-large`, `quota-exceeded`, `serialize-failed`, `queue-full`, `message-lost`.
 * @fires {StateChangeEvent} statechange - The `state` attribute changed. Carries `state`, `previousState`.
 */
export class TabChannelElement<In = unknown, Out = In> extends RealtimeElement<
  TabChannelEventMap<In>
> {
  static override defaultTag = 'tab-channel';

  static override properties: PropertyDeclarations = {
    name: { reflect: true },
    echo: { type: Boolean, reflect: true },
    transport: { reflect: true },
    domain: { reflect: true },
    elect: { type: Boolean, reflect: true },
  };

  protected static override reopenOn = ['disabled', 'name', 'transport', 'domain', 'elect'];

  /** The channel name. */
  name = '';
  /** Deliver this element's own posts to itself too. */
  echo = false;
  /** The transport asked for; `activeTransport` tells which one is in use. */
  transport: TabChannelTransport = 'auto';
  /** Cookie transport: the parent domain whose subdomains share the channel. */
  domain = '';
  /** Take part in a leader election among the tabs on this channel. */
  elect = false;

  private channel?: Channel;
  private active = '';
  private queue: unknown[] = [];
  /** Bumped on every open and close, so a transport that loads late is not attached. */
  private generation = 0;

  private ownId?: string;
  /** @internal Set by the team chunk once this element has joined. */
  team?: TabTeam;
  /** @internal With `retain`: what was delivered before the team caught up (tab-channel-team.ts). */
  early?: unknown[];
  /** @internal The hybrid logical clock of retained posts, µs (see `stamp()`). */
  clock = 0;
  /** @internal The newest retained message (or clear) this member knows (tab-channel-team.ts). */
  held?: Stamped;
  /**
   * @internal The team's channel, opened as the element joins (its election's, once the team
   * has loaded): a retained post is told on it at the call.
   */
  group?: BroadcastChannel;
  private joining?: Promise<TabTeam | undefined>;

  /** With `elect`: this tab is the leader (the reflected `leader` attribute). */
  get leader(): boolean {
    return this.hasAttribute('leader');
  }

  /** This element's id among the channel's members (each element has its own), for `request({ to })`. */
  get tabId(): string {
    return (this.ownId ??= Math.random().toString(36).slice(2));
  }

  /** The leader's `tabId`, known in every member; empty while none is known or before it joins. */
  get leaderId(): string {
    return this.team?.leaderId ?? '';
  }

  /**
   * With `presence`: the open members of the channel, this one first: `{ tabId, visible, leader,
   * since }` each (`since`: ms since the epoch when it joined, by its clock, for display). A tab
   * that closes leaves at once; one that crashes or hangs within 4 s (three missed beats).
   */
  get peers(): TabPeer[] {
    return this.team?.peers() ?? [];
  }

  /** The transport in use once open: `broadcast`, `storage`, `idb` or `cookie`. */
  get activeTransport(): string {
    return this.channel ? this.active : '';
  }

  /**
   * Posts `data` to every other context on the channel. Throws at once, sending nothing:
   * `DataCloneError` for data the transport cannot carry (structured clone; JSON for `storage` and
   * `cookie`), `RangeError` for a message larger than the transport carries (cookie: about 3.7
   * KB), `QuotaExceededError` when storage is full, `InvalidStateError` when the element is
   * disabled, removed or has no name. Over `BroadcastChannel` the channel opens synchronously, so
   * posting right after inserting the element works; while a fallback loads (`connecting`), posts
   * wait in order (up to 1,000).
   *
   * @throws {DOMException} `DataCloneError` when the transport cannot carry `data` (structured
   *   clone; JSON for `storage` and `cookie`); `QuotaExceededError` when storage is full;
   *   `InvalidStateError` when the element is disabled, removed or has no open channel.
   * @throws {RangeError} when `data` is larger than the transport carries (cookie: about 3.7 KB).
   */
  post(data: Out): void {
    this.settle();
    // With `retain`, its stamp: taken before anything is sent (a tab may receive the post, and
    // answer it, before this one reads its clock again).
    const stamp = this.stamp();
    const channel = this.channel;
    if (channel) {
      channel.postMessage(data);
    } else if (this.state === 'connecting') {
      if (this.queue.length >= QUEUE_LIMIT) {
        this.fail('queue-full', `${QUEUE_LIMIT} posts are already waiting for the transport.`);
        return;
      }
      this.queue.push(structuredClone(data));
    } else {
      this.usable();
      throw new DOMException(
        `<${this.localName}> has no open channel${this.name ? '' : ': it has no name'}.`,
        'InvalidStateError',
      );
    }
    if (this.joining && this.hasAttribute('retain'))
      this.retainOwn(stamp, { d: structuredClone(data) });
    if (this.echo) {
      const copy = structuredClone(data);
      queueMicrotask(() => {
        if (this.isConnected && !this.disabled) this.deliver(copy, location.origin);
      });
    }
  }

  /**
   * Sends `data` to one other member and resolves with its `event.reply(value)`. `to`: `leader`
   * (default; handed to the next leader if the leader closes, crashes or hangs first), `any`
   * (one other member) or a `tabId`. The receiver runs each request once. Receivers take part
   * through `elect`, `retain`, `presence` or `prefer-visible` (or a `request()` of their own).
   *
   * A request waits in this tab until its receiver is known (it said hello: a tab still opening,
   * a `tabId` whose tab opens later), so none is lost, and every request settles.
   *
   * @throws {TabRequestError} (a rejection) `code`: `timeout` (no reply within `timeout` ms,
   *   default 10000, judged on a worker timer that background tabs do not throttle),
   *   `no-leader` (for about 1.5 s no member could lead: none has `elect`), `closed` (this
   *   element closed first, or was not open). Also rejects at once with `DataCloneError` for
   *   `data` structured clone cannot carry (it is cloned as it is at the call, as `post()` does),
   *   and `TypeError` when `to` is no string or `timeout` no number.
   *   The receiver's `reply(value)` throws `DataCloneError` for such a value, and may then be
   *   called again.
   */
  request(data: unknown, options?: TabRequestOptions): Promise<unknown> {
    return this.together('request', data, options);
  }

  /**
   * With `elect`: takes the lead now ("use here"); resolves once this tab leads.
   *
   * @throws {DOMException} (a rejection) `InvalidStateError` without `elect`.
   * @throws {TabRequestError} (a rejection) `closed` when the element is not open or closes
   *   before this tab leads.
   */
  claim(): Promise<void> {
    return this.together('claim');
  }

  /**
   * With `retain`: forgets the retained message in every tab.
   *
   * @throws {TabRequestError} (a rejection) `closed` when the element is not open.
   */
  clearRetained(): Promise<void> {
    this.settle();
    // (On a member's channel: one with `retain`, `elect`, `presence` or a `request()` of its own.)
    return this.channel || this.state === 'connecting'
      ? Promise.resolve(this.retainOwn(this.stamp(), { x: 1 }))
      : this.together('clear');
  }

  protected override acquire(): void {
    if (!this.name) {
      this.missing('name');
      return;
    }
    // `retain`, `presence` and `prefer-visible` are read as the channel opens (set them in the
    // markup, or re-open: `disabled`, a new `name`).
    ++this.generation;
    if (this.elect || this.matches('[retain],[presence],[prefer-visible]')) void this.join();
    const wanted = this.transport || 'auto';
    const native = wanted === 'broadcast' || (wanted === 'auto' && !this.domain);
    if (native && self.BroadcastChannel) {
      this.active = 'broadcast';
      this.attach(new BroadcastChannel(this.name));
      return;
    }
    this.setState('connecting');
    // Choosing, loading and attaching a fallback is itself lazy: the core bundle pays nothing.
    // The queue is this opening's own (a close replaces it), and so are the channel's name and
    // the posts in it: sent even when the element closes before the fallback opens.
    const { name, queue } = this;
    import('./transports/open-fallback.js').then(
      (m) => m.connectFallback(this as unknown as FallbackHost, wanted, name, queue),
      (error: Error) =>
        queue === this.queue && this.halt('unsupported', error.message, { cause: error }),
    );
  }

  protected override release(): void {
    this.joining = this.held = undefined;
    this.team?.stop(); // and forgets it
    this.group?.close(); // (the team's election closed it already, once it had loaded)
    this.group = undefined;
    this.generation++;
    this.queue = [];
    const channel = this.channel;
    if (!channel) return;
    this.channel = undefined;
    // (A fallback's `onerror`, set by its chunk, ignores a closed element.)
    channel.onmessage = channel.onmessageerror = null;
    channel.close();
    this.emit(new Event('close'));
  }

  private attach(channel: Channel): void {
    channel.onmessage = (event) => this.deliver(event.data, event.origin);
    channel.onmessageerror = () =>
      this.fail('deserialize-failed', 'A message could not be deserialized.');
    // (A fallback's own errors: its `onerror`, set as it loads: open-fallback.ts.)
    this.channel = channel;
    this.setState('open');
    this.emit(new Event('open'));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each method's own result
  private async together(method: 'request' | 'claim' | 'clear', ...args: any[]): Promise<any> {
    this.settle();
    // A request's data as it is now, as `post()` takes it (a DataCloneError is this call's).
    if (method === 'request') args[0] = structuredClone(args[0]);
    return (await import('./tab-channel-team.js')).use(this as unknown as TeamHost, method, args);
  }

  /**
   * A retained post or clear, stamped and told to the other members at the call, never later (a
   * post made while the team chunk loads keeps its place; one made right before `remove()` is
   * retained), on the team's channel (as the election posts: tab-channel-team.ts).
   */
  private retainOwn(c: number, what: { d?: unknown; x?: 1 }): void {
    const stamped = (this.held = { c, f: this.tabId, ...what });
    this.group?.postMessage({ k: 'ret', f: stamped.f, p: stamped });
  }

  /**
   * A hybrid logical clock (Kulkarni et al., 2014), in µs: past every stamp seen and every post
   * delivered, else the wall clock, which the tabs of a browser share (a post made after another
   * is newer though its tab never heard of the other). Posts faster than one a µs run ahead of
   * the wall clock by as much.
   */
  private stamp(): number {
    return (this.clock = Math.max(Date.now() * 1e3, this.clock + 1));
  }

  /** Election, presence, retain and requests load on first use, as `shared` feeds' election does. */
  /** @internal */
  join(): Promise<TabTeam | undefined> {
    const generation = this.generation;
    // (No BroadcastChannel: no group; the team says `unsupported`.)
    return (this.joining ??= ((this.early = []),
    (this.group =
      self.BroadcastChannel && new BroadcastChannel(`realtime-elements:tab-channel:${this.name}`)),
    import('./tab-channel-team.js')).then(
      (m) => m.join(this as unknown as TeamHost, generation),
      (cause) => void this.fail('unsupported', String(cause), { cause }),
    ));
  }

  private deliver(data: unknown, origin: string): void {
    // A post made after hearing this one is newer, though its stamp comes on another channel.
    this.stamp();
    // (a copy: the page may change what it is given)
    this.early?.push(structuredClone(data));
    this.emit(new RealtimeMessageEvent({ data, origin }));
  }
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- merges with the class: the same parameters
export interface TabChannelElement<In = unknown, Out = In> {
  addEventListener: TypedEventTarget<TabChannelEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<TabChannelEventMap<In>>['removeEventListener'];
}

import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement, type TypedEventTarget } from './internal/realtime-element.js';
import { RealtimeMessageEvent, type RealtimeEventMap } from './internal/events.js';
import type { Channel } from './transports/open-fallback.js';
import type { LeaderElection } from './shared/leader-election.js';

/** How `<tab-channel>` carries messages. */
export type TabChannelTransport = 'auto' | 'broadcast' | 'storage' | 'idb' | 'cookie';

/** Posts held while a fallback transport loads. */
const QUEUE_LIMIT = 1000;

export interface TabChannelEventMap<In = unknown> extends RealtimeEventMap {
  message: RealtimeMessageEvent<In>;
  leaderchange: Event;
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
 * @attr {boolean} elect - Take part in a leader election among the tabs on this channel: one holds `leader`.
 * @attr {boolean} echo - Also deliver this element's own posts to itself (as a copy).
 * @attr {string} state - `connecting` (a fallback transport loading), `open`, `closed` or `error` (reflected).
 *
 * @fires {RealtimeMessageEvent} message - Another context posted on the channel. Never your own post unless `echo`. Carries `data`, `origin`.
 * @fires {Event} open - The channel opened.
 * @fires {Event} leaderchange - With `elect`: this tab became the leader, or stopped being it (read `leader`).
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

  private election?: LeaderElection;
  private electing?: object;

  /** With `elect`: this tab is the leader (the reflected `leader` attribute). */
  get leader(): boolean {
    return this.hasAttribute('leader');
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
      throw new DOMException(
        `<${this.localName}> cannot post: ${this.whyClosed()}.`,
        'InvalidStateError',
      );
    }
    if (this.echo) {
      const copy = structuredClone(data);
      queueMicrotask(() => {
        if (this.isConnected && !this.disabled) this.deliver(copy, location.origin);
      });
    }
  }

  protected override acquire(): void {
    if (!this.name) {
      this.fail('missing-name', `<${this.localName}> needs a name attribute.`);
      return;
    }
    if (this.elect) void this.runElection();
    const wanted = this.transport || 'auto';
    const native = wanted === 'broadcast' || (wanted === 'auto' && !this.domain);
    if (native && typeof BroadcastChannel === 'function') {
      this.active = 'broadcast';
      this.attach(new BroadcastChannel(this.name));
      return;
    }
    this.setState('connecting');
    void this.openFallback(wanted, ++this.generation);
  }

  /** Choosing and loading a fallback is itself lazy: it costs the core bundle nothing. */
  private async openFallback(wanted: string, generation: number): Promise<void> {
    const current = () => generation === this.generation;
    try {
      const { connectFallback } = await import('./transports/open-fallback.js');
      await connectFallback(wanted, this.name, this.domain, {
        current,
        fail: (code, message, init) => this.fail(code, message, init),
        attach: (kind, channel) => {
          this.active = kind;
          this.attach(channel);
          if (this.superseded) return []; // an open listener disabled or removed the channel
          const waiting = this.queue;
          this.queue = [];
          return waiting;
        },
      });
    } catch (error) {
      if (!current()) return;
      this.setState('error');
      this.fail((error as { code?: string }).code ?? 'unsupported', (error as Error).message, {
        cause: error,
      });
    }
  }

  protected override release(): void {
    this.electing = undefined;
    this.election?.stop();
    this.election = undefined;
    if (this.leader) this.setLeader(false);
    this.generation++;
    this.queue = [];
    const channel = this.channel;
    if (!channel) return;
    this.channel = undefined;
    channel.onmessage = channel.onmessageerror = channel.onerror = null;
    channel.close();
    this.emit(new Event('close'));
  }

  private attach(channel: Channel): void {
    channel.onmessage = (event) => this.deliver(event.data, event.origin);
    channel.onmessageerror = () =>
      this.fail('deserialize-failed', 'A message arrived that could not be deserialized.');
    channel.onerror = (event) => this.fail(event.code, event.message);
    this.channel = channel;
    this.setState('open');
    this.emit(new Event('open'));
  }

  /** The election (Web Locks, a heartbeat lease) loads on first use, as `shared` feeds' does. */
  private async runElection(): Promise<void> {
    const electing = (this.electing = {});
    try {
      const { LeaderElection } = await import('./shared/leader-election.js');
      if (this.electing !== electing) return;
      this.election = new LeaderElection(`tab-channel:${this.name}`, {
        lead: () => this.setLeader(true),
        follow: () => this.setLeader(false),
      });
    } catch (error) {
      if (this.electing === electing) {
        this.fail('unsupported', 'Leader election needs BroadcastChannel.', { cause: error });
      }
    }
  }

  private setLeader(leader: boolean): void {
    this.toggleAttribute('leader', leader);
    this.emit(new Event('leaderchange'));
  }

  private deliver(data: unknown, origin: string): void {
    this.emit(new RealtimeMessageEvent({ data, origin }));
  }

  private whyClosed(): string {
    if (!this.isConnected) return 'it is not in the document';
    if (this.disabled) return 'it is disabled';
    if (!this.name) return 'it has no name';
    return 'its channel is not open';
  }
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- merges with the class: the same parameters
export interface TabChannelElement<In = unknown, Out = In> {
  addEventListener: TypedEventTarget<TabChannelEventMap<In>>['addEventListener'];
  removeEventListener: TypedEventTarget<TabChannelEventMap<In>>['removeEventListener'];
}

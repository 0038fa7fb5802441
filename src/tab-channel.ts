import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement, type TypedEventTarget } from './internal/realtime-element.js';
import { RealtimeMessageEvent, type RealtimeEventMap } from './internal/events.js';

export interface TabChannelEventMap extends RealtimeEventMap {
  message: RealtimeMessageEvent;
}

/**
 * Messages between the tabs, windows and workers of one origin, over `BroadcastChannel`.
 * Posts are the posted values themselves (no wrapper), so plain `BroadcastChannel` code on
 * the same name interoperates in both directions.
 *
 * @summary Tab ⇄ tab messaging on a named channel.
 * @tagname tab-channel
 *
 * @attr {string} name - The channel name (required). Changing it re-opens on the new channel.
 * @attr {boolean} disabled - Keeps the channel closed.
 * @attr {boolean} echo - Also deliver this element's own posts to itself as `message` events.
 * @attr {string} state - Reflected, read-only: `open`, `closed` or `error`.
 *
 * @fires {RealtimeMessageEvent} message - Data posted by another context: `data`, `origin`.
 * @fires {Event} open - The channel is open.
 * @fires {Event} close - The channel was closed (element removed, disabled or renamed).
 * @fires {RealtimeErrorEvent} error - `code`: `missing-name`, `unsupported` or `deserialize-failed`.
 * @fires {StateChangeEvent} statechange - `state` and `previousState`.
 */
export class TabChannelElement extends RealtimeElement<TabChannelEventMap> {
  static override defaultTag = 'tab-channel';

  static override properties: PropertyDeclarations = {
    name: { reflect: true },
    echo: { type: Boolean, reflect: true },
  };

  protected static override reopenOn = ['disabled', 'name'];

  /** The channel name. */
  name = '';
  /** Deliver this element's own posts to itself too. */
  echo = false;

  private channel?: BroadcastChannel;

  /**
   * Posts `data` (anything structured clone accepts) to every other context on the channel.
   *
   * @throws {DOMException} `DataCloneError` when `data` cannot be cloned;
   *   `InvalidStateError` when the element is disabled, removed or has no open channel.
   */
  post(data: unknown): void {
    this.settle();
    const channel = this.channel;
    if (!channel) {
      throw new DOMException(
        `<${this.localName}> cannot post: ${this.whyClosed()}.`,
        'InvalidStateError',
      );
    }
    channel.postMessage(data);
    if (this.echo) {
      const copy = structuredClone(data);
      queueMicrotask(() => {
        if (this.channel === channel) this.deliver(copy, location.origin);
      });
    }
  }

  protected override acquire(): void {
    if (!this.name) {
      this.fail('missing-name', `<${this.localName}> needs a name attribute.`);
      return;
    }
    if (typeof BroadcastChannel !== 'function') {
      this.setState('error');
      this.fail('unsupported', 'BroadcastChannel is not available in this browser or context.');
      return;
    }
    const channel = new BroadcastChannel(this.name);
    channel.onmessage = (event) => this.deliver(event.data, event.origin);
    channel.onmessageerror = () =>
      this.fail('deserialize-failed', 'A message arrived that could not be deserialized.');
    this.channel = channel;
    this.setState('open');
    this.emit(new Event('open'));
  }

  protected override release(): void {
    const channel = this.channel;
    if (!channel) return;
    this.channel = undefined;
    channel.onmessage = channel.onmessageerror = null;
    channel.close();
    this.emit(new Event('close'));
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

export interface TabChannelElement {
  addEventListener: TypedEventTarget<TabChannelEventMap>['addEventListener'];
  removeEventListener: TypedEventTarget<TabChannelEventMap>['removeEventListener'];
}

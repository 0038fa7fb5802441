import type { PropertyDeclarations } from '@lit/reactive-element';
import { RealtimeElement } from './realtime-element.js';
import { ReconnectController } from './reconnect-controller.js';
import type { RealtimeEventMap } from './events.js';

/** `Retry-After` as ms: delta-seconds or an HTTP date (RFC 9110 § 10.2.3). */
export function retryAfterMs(value: string | null): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

/**
 * The base of the network elements: the shared reconnect policy as attributes (`retry-min`,
 * `retry-max`, `max-retries`), a `retryCount`, and one way to go from a failure to the next
 * attempt or to giving up.
 */
export abstract class RetryingElement<
  M extends RealtimeEventMap = RealtimeEventMap,
> extends RealtimeElement<M> {
  static override properties: PropertyDeclarations = {
    retryMin: { type: Number, attribute: 'retry-min' },
    retryMax: { type: Number, attribute: 'retry-max' },
    maxRetries: { type: Number, attribute: 'max-retries' },
  };

  /** Smallest reconnect delay, ms. */
  retryMin = 1000;
  /** Largest reconnect delay, ms (a server-given floor may exceed it). */
  retryMax = 30_000;
  /** Consecutive failed attempts before giving up. */
  maxRetries = Infinity;

  protected readonly reconnector = new ReconnectController(this, () => this.connect());

  /** Consecutive failed attempts since the last stable connection. */
  get retryCount(): number {
    return this.reconnector.attempt;
  }

  /** Starts one connection attempt. */
  protected abstract connect(): void;

  /** Takes the current policy attributes and marks the element as connecting. */
  protected beginAttempt(): void {
    Object.assign(this.reconnector.policy, {
      retryMin: this.retryMin,
      retryMax: this.retryMax,
      maxRetries: this.maxRetries ?? Infinity,
    });
    this.setState('connecting');
  }

  /** Schedules the next attempt after a failure; returns its delay, or -1 when giving up. */
  protected scheduleRetry(retryAfter = 0): number {
    return this.reconnector.failed(retryAfter);
  }

  /** Reflects the outcome of `scheduleRetry` (call it after any `close` event). */
  protected settleRetry(delay: number): void {
    if (delay >= 0) return this.setState('connecting');
    this.setState('error');
    this.fail(
      'retries-exhausted',
      `Gave up after ${this.maxRetries} attempts; call reconnect() to try again.`,
    );
  }
}

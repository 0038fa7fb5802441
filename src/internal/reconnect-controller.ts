import type { ReactiveController, ReactiveControllerHost } from '@lit/reactive-element';
import { isServer } from './is-server.js';

export interface ReconnectPolicy {
  /** Smallest delay before a retry, in ms. */
  retryMin: number;
  /** Largest delay before a retry, in ms (a server-given floor may exceed it). */
  retryMax: number;
  /** Consecutive failed attempts allowed before giving up. */
  maxRetries: number;
  /** A connection open this long (ms) counts as stable: the attempt count resets. */
  stableAfter: number;
}

/** The longest delay `setTimeout` honours, ms (HTML § 8.6: a 32-bit signed integer). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const defaultReconnectPolicy: ReconnectPolicy = {
  retryMin: 1000,
  retryMax: 30_000,
  maxRetries: Infinity,
  stableAfter: 5000,
};

/**
 * Exponential backoff with full jitter, drawn fresh for every attempt: the ceiling is
 * `retryMin × 2^(attempt + 1)`, capped at `retryMax`, and the delay is uniform in
 * [retryMin, ceiling] — so even the first retry ([retryMin, 2 × retryMin]) is spread, and a
 * fleet of clients dropped together (a hub restart) does not come back together.
 * `floor` (the server's SSE `retry:` or `Retry-After`) is respected even above `retryMax`.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<ReconnectPolicy, 'retryMin' | 'retryMax'>,
  floor = 0,
  random: () => number = Math.random,
): number {
  const min = Math.max(0, policy.retryMin);
  const max = Math.max(min, policy.retryMax);
  const ceiling = Math.min(max, min * 2 ** (Math.max(0, attempt) + 1));
  const jittered = min + random() * (ceiling - min);
  // Timers fire at once past 2^31 - 1 ms (about 24.8 days): a server's huge `retry:` or
  // `Retry-After` must not turn into an immediate reconnect.
  return Math.min(Math.round(Math.max(jittered, floor)), MAX_TIMER_MS);
}

/**
 * Schedules reconnects for a host element. The element calls `failed()` when an attempt fails or
 * a connection drops and `opened()` when one succeeds; the controller calls `connect` when it is
 * time to try again. While the browser reports itself offline no attempt is made; the `online`
 * event triggers one at once.
 */
export class ReconnectController implements ReactiveController {
  policy: ReconnectPolicy = { ...defaultReconnectPolicy };
  /** The server's persistent floor (SSE `retry:`), in ms. */
  serverFloor = 0;
  /** Consecutive failed attempts since the last stable connection. */
  attempt = 0;
  random: () => number = Math.random;

  private retryTimer?: ReturnType<typeof setTimeout>;
  private stableTimer?: ReturnType<typeof setTimeout>;
  private waitingForOnline = false;
  private listening = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly connect: () => void,
  ) {
    host.addController(this);
  }

  /** Whether a retry is scheduled or waiting for the network to come back. */
  get pending(): boolean {
    return this.retryTimer !== undefined || this.waitingForOnline;
  }

  hostConnected(): void {
    if (isServer || this.listening) return;
    this.listening = true;
    window.addEventListener('online', this.onOnline);
  }

  hostDisconnected(): void {
    this.cancel();
    if (!this.listening) return;
    this.listening = false;
    window.removeEventListener('online', this.onOnline);
  }

  /**
   * Records a failure and schedules the next attempt. Returns the delay in ms, or -1 when
   * `maxRetries` is exhausted (nothing is scheduled then).
   */
  failed(retryAfter = 0): number {
    this.cancel();
    if (this.attempt >= this.policy.maxRetries) return -1;
    const delay = backoffDelay(
      this.attempt,
      this.policy,
      Math.max(this.serverFloor, retryAfter),
      this.random,
    );
    this.attempt++;
    if (!navigator.onLine) {
      this.waitingForOnline = true;
      return delay;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!navigator.onLine) this.waitingForOnline = true;
      else this.connect();
    }, delay);
    return delay;
  }

  /** Records a successful connection; once it has stayed up for `stableAfter` the count resets. */
  opened(): void {
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.stableTimer = undefined;
      this.attempt = 0;
    }, this.policy.stableAfter);
  }

  /** Stops any scheduled attempt (the element closed on purpose). */
  cancel(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    this.retryTimer = this.stableTimer = undefined;
    this.waitingForOnline = false;
  }

  /** Makes the next attempt when the browser reports itself online again, not before. */
  waitForOnline(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.waitingForOnline = true;
  }

  /** Forgets past failures, e.g. when the page asks for a fresh `reconnect()`. */
  reset(): void {
    this.cancel();
    this.attempt = 0;
  }

  private readonly onOnline = (): void => {
    if (!this.pending) return;
    this.cancel();
    this.connect();
  };
}

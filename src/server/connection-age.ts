import type { EndReason } from './core.js';
import type { HubConnection } from './types.js';

/** The longest delay `setTimeout` honours, ms. */
const maxTimer = 2 ** 31 - 1;
/** The shortest `maxConnectionAge`, ms: time for a client to subscribe and get its replay. */
const minAge = 1000;

/**
 * `maxConnectionAge`: an SSE stream or WebSocket older than about this many ms is moved as a
 * drain moves it (the client resumes at once from its cursor, through the load balancer), so
 * long-lived connections spread again over the processes after a scale-out, and a process can
 * be replaced without waiting for its clients to leave. Each connection's age is drawn within
 * ±10 % (as gRPC's `MaxConnectionAge`), so connections made in one burst (after a deploy) are
 * not rotated in one burst either. Long-polls end by themselves (`pollTimeout`): not rotated.
 */
export class ConnectionAge {
  constructor(private readonly maxAge: number) {
    // Under a second a connection could be moved before its client subscribed or got its
    // replay, over and over: a client that never receives anything.
    if (typeof maxAge !== 'number' || !(maxAge === 0 || maxAge >= minAge)) {
      throw new RangeError(
        `maxConnectionAge is 0 (off) or a number of ms ≥ ${minAge}, not ${String(maxAge)}.`,
      );
    }
  }

  track(connection: HubConnection, end: (reason: EndReason) => void): () => void {
    if (!this.maxAge || connection.transport === 'poll' || !Number.isFinite(this.maxAge)) {
      return () => {};
    }
    const age = this.maxAge * (0.9 + 0.2 * Math.random());
    const timer = setTimeout(() => end('drain'), Math.min(maxTimer, age));
    timer.unref();
    return () => clearTimeout(timer);
  }
}

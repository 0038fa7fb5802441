import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EndReason, HubCore } from './core.js';
import type { HubConnection } from './types.js';

/** How often the drain closes its next few connections, ms. */
const tick = 20;
/**
 * Ms a connection told to go may take to close (an SSE client that reads nothing, a WebSocket
 * peer that never answers the close frame) before its socket is destroyed, so `drain()` settles.
 */
const grace = 2000;

/**
 * `hub.drain({ within })`, for rolling deploys: from the call on `/health` answers `503
 * draining` (so the load balancer stops sending clients here) and new subscriptions are refused
 * with `503` and `Retry-After: 1`; the live connections are closed oldest first, spread evenly
 * over `within` ms, each the way its client resumes from at once (an SSE stream ends after a
 * short jittered `retry:`, a WebSocket closes with 1001, a held long-poll is answered), so
 * the other processes take them over at a steady rate, never in one herd.
 *
 * The rate is recomputed every tick as what is left over the time left: a stalled event loop
 * does not catch up in one burst (at most two ticks' worth at once), and a connection that
 * arrives late (its `authorize` was still running) is moved too. Settles once every connection
 * has closed.
 */
export class Drain {
  /** Connections told to go, and when (ms, `performance.now()`). */
  private readonly told = new Map<HubConnection, number>();
  private deadline = 0;
  private settled?: Promise<void>;
  private done = false;

  constructor(private readonly core: HubCore) {}

  /** Starts draining, or brings the end forward when a later call's `within` ends sooner. */
  drain(within: number): Promise<void> {
    if (typeof within !== 'number' || !(within >= 0) || !Number.isFinite(within)) {
      return Promise.reject(
        new RangeError(`drain({ within }) takes a number of ms ≥ 0, not ${String(within)}.`),
      );
    }
    this.core.draining = true;
    const deadline = performance.now() + within;
    if (!this.settled || deadline < this.deadline) this.deadline = deadline;
    return (this.settled ??= new Promise((resolve) => this.run(resolve)));
  }

  /** For each new connection: one that arrives after the drain settled is moved at once. */
  track(connection: HubConnection, end: (reason: EndReason) => void): () => void {
    if (this.done) {
      this.told.set(connection, performance.now());
      setImmediate(() => end('drain'));
    }
    return () => this.told.delete(connection);
  }

  /**
   * Refuses a WebSocket upgrade while draining (`503` with `Retry-After`, before any upgrade);
   * false when not draining.
   */
  refuseUpgrade(_req: IncomingMessage, socket: Duplex): boolean {
    if (!this.core.draining) return false;
    const body = JSON.stringify({
      error: 'draining',
      message: 'This hub process is draining: connect again.',
    });
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    return true;
  }

  private run(resolve: () => void): void {
    const { connections } = this.core;
    let last = performance.now();
    let allowance = 0;
    const step = () => {
      const now = performance.now();
      for (const [connection, at] of this.told) {
        if (now - at > grace && connections.has(connection)) cut(connection.req);
      }
      if (!connections.size) {
        this.done = true;
        return resolve();
      }
      const waiting = [...connections.keys()].filter((connection) => !this.told.has(connection));
      // What is left, evenly over the time left (past the deadline: all of it now).
      const rate = waiting.length / Math.max(tick, this.deadline - now);
      allowance = Math.min(allowance + rate * Math.min(now - last, 2 * tick), waiting.length);
      last = now;
      for (const connection of waiting) {
        if (allowance < 1) break;
        allowance--;
        this.told.set(connection, now);
        connections.get(connection)?.end('drain');
      }
      setTimeout(step, tick);
    };
    step();
  }
}

/**
 * The `retry:` (ms) an SSE stream gets when it is moved: a jittered share of the hub's `retry`
 * (at most 1 s), so the streams closed in one tick do not all come back in the same one.
 */
export const drainRetry = (retry: number): number =>
  Math.round(Math.random() * Math.min(1000, retry));

/**
 * Cuts a connection that did not close when told. On HTTP/2 `req.socket` is the whole session
 * (every other stream of that client): only this stream is reset there — with `destroy()`, as
 * `stream.close()` first waits for the queued data to be sent, which a client that reads
 * nothing (its flow-control window full) never lets happen.
 */
function cut(req: IncomingMessage): void {
  if (req.httpVersionMajor === 1) req.socket?.destroy();
  else (req as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/**
 * Closes the connection once its response is out, so the client's next request opens a new one
 * (through the load balancer, to another process). On HTTP/2 that is a GOAWAY (RFC 9113 § 6.8,
 * `session.close()`): the session's other streams run on until they end, no new ones are taken,
 * and the browser opens its next request on a new connection instead of back to this process.
 */
export function closeAfterResponse(req: IncomingMessage): void {
  if (req.httpVersionMajor === 1) req.socket?.end();
  else (req as unknown as { stream?: { session?: { close(): void } } }).stream?.session?.close();
}

/**
 * Marks an answer given while draining (or a held long-poll answered by the drain) so its
 * connection closes once it is out: `Connection: close` on HTTP/1.1, a GOAWAY on HTTP/2 (where a
 * `Connection` header is malformed, RFC 9113 § 8.2.2).
 */
export function closeWithAnswer(
  req: IncomingMessage,
  res: { setHeader(n: string, v: string): unknown },
): void {
  if (req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
  else closeAfterResponse(req);
}

/**
 * `<sse-feed once>`'s `stream()` run and its promise (`pagehide` / `pageshow` go through the
 * element's `suspend()`, `internal/page-lifecycle.ts`).
 * Loaded on the first `stream()`, side by side with fetch mode (one-shot streams use fetch).
 */

/** How a run ends: resolved (nothing), aborted, or failed with the element's `error`. */
export type RunEnd = 'abort' | 'fail' | undefined;

/** The parts of `<sse-feed>` a run drives. */
export interface OnceFeed {
  /** Bumped by every new attempt and every stop: a run that finds it moved was aborted. */
  readonly attempt: number;
  body: unknown;
  cursor: string;
  readonly startId: string | null;
  freshStart(): void;
  /** Set while a `stream()` runs: ends it (the element clears it first). */
  run?: (end?: RunEnd) => void;
  readonly error: { code: string; message: string } | null;
  readonly state: string;
  readonly reconnector: { cancel(): void };
  connect(): void;
  disconnect(): void;
  retry(): void;
  setState(state: string): void;
}

/** The rejection of an aborted `stream()` (another `stream()`, `close()`, removal …). */
export const aborted = () => new DOMException('The stream was aborted.', 'AbortError');

/**
 * Starts `feed`'s one-shot request (`body`: replaces its `body`) unless another `stream()`,
 * `close()` or removal came after the call that made attempt `attempt` (then an `AbortError`);
 * resolves on `done`, rejects with an `AbortError` or an `Error` carrying the `error` event's
 * `code`.
 */
export function runOnce(feed: OnceFeed, attempt: number, body: unknown): Promise<void> {
  if (attempt !== feed.attempt) return Promise.reject(aborted());
  if (body !== undefined) feed.body = body;
  feed.freshStart();
  feed.cursor = feed.startId ?? '';
  const promise = new Promise<void>((resolve, reject) => {
    feed.run = (end) => {
      const error = feed.error;
      if (end === 'abort') reject(aborted());
      else if (end) reject(Object.assign(new Error(error?.message), { code: error?.code }));
      else resolve();
    };
  });
  // The page may ignore it: an abort must not surface as an unhandled rejection.
  promise.catch(() => {});
  feed.connect();
  return promise;
}

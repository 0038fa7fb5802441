/**
 * `<popup-bridge>`'s side of `request()`: the pending requests, their timeouts and replies.
 * Loaded with a page's first `request()`; the element sends (or queues) each request at the
 * call, in order with `post()`, and hands everything after that to this module in call order.
 */

/** A rejected `request()`: `code` is `timeout`, `closed` or `queue-full`. */
export class BridgeRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What this module needs of the element. */
interface Host {
  /** Takes a request out of the element's queue: its caller saw it fail and may retry. */
  unqueue(envelope: object): void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: BridgeRequestError) => void;
  timer: ReturnType<typeof setTimeout>;
  envelope: object;
}

const pendingOf = new WeakMap<Host, Map<number, Pending>>();
const pending = (host: Host) => {
  let map = pendingOf.get(host);
  if (!map) pendingOf.set(host, (map = new Map()));
  return map;
};

/**
 * Waits for the reply to request `id` (sent or queued at `since`, `performance.now()` ms), for
 * `timeout` ms counted from then. A request that times out is taken out of the queue.
 */
export function track(
  host: Host,
  id: number,
  envelope: object,
  timeout: number,
  since: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        pending(host).delete(id);
        host.unqueue(envelope);
        reject(new BridgeRequestError('timeout', `No reply within ${timeout} ms.`));
      },
      timeout - (performance.now() - since),
    );
    pending(host).set(id, { resolve, reject, timer, envelope });
  });
}

/** The other window replied to request `id` (an unknown or settled id is ignored). */
export function settle(host: Host, id: number, data: unknown): void {
  const request = pending(host).get(id);
  pending(host).delete(id);
  clearTimeout(request?.timer);
  request?.resolve(data);
}

/** Rejects every pending request (the window closed, the bridge closed). */
export function rejectAll(host: Host, code: string, message: string): void {
  for (const { reject, timer, envelope } of pending(host).values()) {
    clearTimeout(timer);
    host.unqueue(envelope);
    reject(new BridgeRequestError(code, message));
  }
  pending(host).clear();
}

/** A request refused at the call (`queue-full`). */
export const refuse = (code: string, message: string): Promise<never> =>
  Promise.reject(new BridgeRequestError(code, message));

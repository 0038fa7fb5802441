/**
 * `<sw-relay>`'s side of `request()`: the wait for the worker's answer on the request's own
 * `MessageChannel`. Loaded with a page's first `request()`; the element sends (or queues) the
 * request at the call, in order with `post()`. The answer waits in the port (a port delivers
 * nothing before it is started), so none is lost while this module loads.
 */

// In the same chunk: the catch-up after the back/forward cache, which every relay loads as it opens.
export { default as follow } from './relay-resume.js';

/** A rejected `request()`: `code` is `timeout`, `worker-error` or `queue-full`. */
export class RelayRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What this module needs of the element. */
interface Host {
  /** Takes a queued request (by its port) out of the queue: its caller saw it fail. */
  unqueue(port: MessagePort): void;
}

/**
 * Resolves with the worker's answer on `channel`, or rejects: `timeout` ms after `since` (the
 * call, `performance.now()` ms), `worker-error` (the handler threw), `queue-full` (`queued`
 * false: never sent).
 */
export function answer(
  host: Host,
  channel: MessageChannel,
  timeout: number,
  since: number,
  queued: boolean,
): Promise<unknown> {
  const { port1, port2 } = channel;
  return new Promise((resolve, reject) => {
    if (!queued) {
      port1.close();
      return reject(new RelayRequestError('queue-full', 'The queue is full.'));
    }
    const timer = setTimeout(
      () => {
        port1.close();
        // Seen to fail, so never handled later: a request still queued is dropped.
        host.unqueue(port2);
        reject(new RelayRequestError('timeout', `The worker did not answer within ${timeout} ms.`));
      },
      timeout - (performance.now() - since),
    );
    port1.onmessage = ({ data: reply }) => {
      clearTimeout(timer);
      port1.close();
      if (reply?.ok) resolve(reply.value);
      else reject(new RelayRequestError('worker-error', String(reply?.message)));
    };
  });
}

import type { RealtimeErrorInit } from './events.js';

/**
 * One `refresh` call, bounded by `timeout` ms (a refresh that never settles counts as failed):
 * true when it renewed (`renewed()` fires `authrefresh`); false after an `auth-failed` error.
 * Loaded only by the pages whose elements have a `refresh` and are refused.
 */
export async function renewal(
  refresh: () => unknown,
  timeout: number,
  fail: (code: string, message: string, init?: RealtimeErrorInit) => void,
  renewed: () => void,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      refresh(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`it did not settle within ${timeout} ms`)),
          timeout,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  } catch (error) {
    fail('auth-failed', `refresh() threw: ${(error as Error).message}`, { cause: error });
    return false;
  }
  renewed();
  return true;
}

/** What `renewThen` drives of a network element. */
interface Renewing {
  readonly reconnector: { attempt: number };
  renew(expiring?: boolean): Promise<boolean>;
  connect(): void;
  scheduleRetry(): number;
  settleRetry(delay: number): void;
  halt(code: string, message: string): void;
}

/**
 * After a refusal (or an expiry, `expiring`): `renew()`, then connect at once unless `stale()`
 * (the page changed course meanwhile); a refusal that could not be renewed is final.
 */
export async function renewThen(
  element: Renewing,
  expiring: boolean,
  stale: () => boolean,
): Promise<void> {
  // The page may have acted while this code loaded: then it is not this refusal's to renew.
  if (stale()) return;
  const renewed = await element.renew(expiring);
  if (stale()) return;
  // At once after a stable connection; an expiry again soon after takes the backoff.
  if (renewed || expiring) {
    return element.reconnector.attempt++
      ? element.settleRetry(element.scheduleRetry())
      : element.connect();
  }
  element.halt('unauthorized', 'Credentials refused; refresh() could not renew them.');
}

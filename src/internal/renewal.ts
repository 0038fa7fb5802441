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

/** What `renew` uses of a network element (protected members, reached on purpose). */
export interface Refreshing {
  readonly refresh: (() => unknown) | null;
  readonly refreshTimeout: number;
  renewed: boolean;
  renewing?: Promise<boolean>;
  fail(code: string, message: string, init?: RealtimeErrorInit): void;
  emit(event: Event): boolean;
}

/**
 * Calls the element's `refresh` (`expiring`: the hub asked, so not counted as a refusal) and
 * fires `authrefresh`; false when there is none, it failed, or it already ran after the last
 * refusal (the caller then reports `unauthorized`, final). Every caller is connection code
 * loaded on first use, so this loads with it, not with every page.
 */
export function renew(element: Refreshing, expiring?: boolean): Promise<boolean> {
  const { refresh } = element;
  if (!refresh || (element.renewed && !expiring)) return Promise.resolve(false);
  element.renewed = !expiring;
  // One call at a time: a 4440 while the `expiring` frame's renewal still runs joins it (a
  // rotating refresh token used twice at once signs the user out at many providers).
  return (element.renewing ??= renewal(
    refresh,
    element.refreshTimeout,
    element.fail.bind(element),
    () => element.emit(new Event('authrefresh')),
  ).finally(() => (element.renewing = undefined)));
}

/** What `renewThen` drives of a network element. */
interface Renewing extends Refreshing {
  readonly reconnector: { attempt: number };
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
  const renewed = await renew(element, expiring);
  if (stale()) return;
  // At once after a stable connection; an expiry again soon after takes the backoff.
  if (renewed || expiring) {
    return element.reconnector.attempt++
      ? element.settleRetry(element.scheduleRetry())
      : element.connect();
  }
  element.halt('unauthorized', 'Credentials refused; refresh() could not renew them.');
}

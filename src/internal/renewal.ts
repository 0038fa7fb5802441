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

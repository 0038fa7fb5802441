/**
 * `Retry-After` as ms: delta-seconds or an HTTP date (RFC 9110 § 10.2.3). A date is measured
 * from the response's own `Date` header (`date`), both on the server's clock, so a client
 * clock that is off or steps never stretches or drops the wait; without one, from `Date.now()`.
 */
export function retryAfterMs(value: string | null, date?: string | null): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const until = Date.parse(value);
  const sent = date ? Date.parse(date) : NaN;
  if (Number.isNaN(until)) return 0;
  return Math.max(0, until - (Number.isNaN(sent) ? Date.now() : sent));
}

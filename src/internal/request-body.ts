/**
 * A fetch body as the elements send it: plain objects and arrays as JSON (with
 * `Content-Type: application/json` unless `headers` has one); strings, `Blob`, `FormData`,
 * `URLSearchParams` as they are.
 */
export function requestBody(body: unknown, headers: Headers): BodyInit | null {
  if (body !== null && (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype)) {
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    return JSON.stringify(body);
  }
  return body as BodyInit | null;
}

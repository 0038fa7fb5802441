/** The `error` code of a hub's JSON refusal (`{"error":"forbidden-origin",…}`), if any. */
export function hubErrorCode(body: string): unknown {
  try {
    return (JSON.parse(body) as { error?: unknown } | null)?.error;
  } catch {
    return undefined;
  }
}

/**
 * Whether the server at `url` refuses this page's origin the hub's way (`403` with
 * `{"error":"forbidden-origin"}`, readable because the hub sends CORS headers on refusals).
 * A plain `GET` with no custom header, so no preflight, like `EventSource`'s own request; the
 * body of a stream that does answer is not read.
 */
export async function refusedOrigin(url: URL, withCredentials: boolean): Promise<boolean> {
  const controller = new AbortController();
  try {
    const response = await fetch(url, {
      credentials: withCredentials ? 'include' : 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
    if (response.status !== 403) return false;
    return hubErrorCode(await response.text()) === 'forbidden-origin';
  } catch {
    return false;
  } finally {
    controller.abort();
  }
}

import { SseParser } from './sse-parser.js';
import { retryAfterMs } from './retry-after.js';
import { hubErrorCode } from './hub-refusal.js';
import type { RealtimeErrorInit } from './events.js';
import { ReplayFilter } from './replay-filter.js';
import type { NativeState } from './native-event-source.js';
import { DoneEvent } from './done-event.js';
import { requestBody } from './request-body.js';

/**
 * WebKit's network layer, where no script API shows it (so read from `navigator.vendor`, fixed
 * in WebCore for every WebKit browser), verified with WebKitGTK 2.50:
 * - it sends a header value's characters as UTF-8 (`é` arrives as C3 A9, the bytes E2 80 A6
 *   given as three characters arrive as six), where Chromium and Firefox send each one as a
 *   byte (Fetch: a header value is a byte sequence, the string isomorphic-encoded);
 * - a chunked body cut before its last chunk ends the read like a complete one (Chromium and
 *   Firefox reject the read with a network error, as Fetch says).
 */
const webkit = /^Apple/.test(globalThis.navigator?.vendor ?? '');

/** What one fetch-mode attempt sends. */
export interface FetchRequest {
  url: URL;
  /** The resume point (`''`: none). */
  cursor: string;
  method: string;
  headers:
    | Record<string, string>
    | (() => Record<string, string> | Promise<Record<string, string>>)
    | null;
  body: unknown;
  withCredentials: boolean;
  signal: AbortSignal;
  /** Shared with native mode, which `auto` turns to once a stream answers from another origin. */
  native: NativeState;
  /** `once`: the `done-event` type and the `done-data` that end the stream. */
  done?: [event: string, data: string];
}

/** The element's side. After `current()` turns false nothing else is called. */
export interface FetchHost {
  current(): boolean;
  /** `origin`: where the stream answered from (after redirects). */
  opened(origin: string): void;
  /** Bytes arrived (comments count): a sign of life. */
  alive(): void;
  receive(type: string, data: string, lastEventId: string, origin: string): void;
  /** The last event ID after a chunk (ids of events without data count). */
  cursor(id: string): void;
  /** A `retry:` field, ms. */
  floor(ms: number): void;
  fail(code: string, message: string, init?: RealtimeErrorInit): void;
  /** `retryAfter` < 0: at once. `answered`: the server refused the request (a one-shot may be re-sent). */
  retry(retryAfter?: number, answered?: boolean): void;
  stop(state: 'closed' | 'error'): void;
  /** Calls `refresh` and fires `authrefresh`; false when there is none or it already ran. */
  renew(expiring?: boolean): Promise<boolean>;
  /** `once`: the stream ended as the server meant it to. */
  done(event: DoneEvent): void;
}

/**
 * `<sse-feed>`'s fetch mode, loaded on first use: one request (headers, body, the cursor as
 * `Last-Event-ID`), its status, then the stream through `SseParser`. Ends by calling `retry`
 * (the stream ended or failed) or `stop` (204, 401/403, other 4xx).
 */
export async function fetchEventStream(request: FetchRequest, host: FetchHost): Promise<void> {
  const { url, cursor, method, signal } = request;
  let response: Response;
  try {
    const extra = typeof request.headers === 'function' ? await request.headers() : request.headers;
    const headers = new Headers({ Accept: 'text/event-stream', ...extra });
    if (cursor) {
      const value = headerValue(cursor);
      if (value) headers.set('Last-Event-ID', value);
      else url.searchParams.set('lastEventId', cursor);
    }
    const body = requestBody(request.body, headers);
    if (!host.current()) return;
    response = await fetch(url, {
      method: method || 'GET',
      headers,
      body: method && method.toUpperCase() !== 'GET' ? body : null,
      credentials: request.withCredentials ? 'include' : 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (!host.current()) return;
    const hint =
      cursor && url.origin !== location.origin
        ? ' (cross-origin, resuming sends Last-Event-ID: a CORS preflight must allow it)'
        : '';
    host.fail('network', `Could not connect: ${(error as Error).message}${hint}`, { cause: error });
    return host.retry();
  }
  if (!host.current()) return;
  const { status } = response;
  if (status === 204) return host.stop('closed');
  const contentType = response.headers.get('Content-Type') ?? '';
  // The MIME type's essence, parameters aside (`text/event-stream;charset=utf-8` is fine).
  const wrongType = contentType.split(';')[0].trim().toLowerCase() !== 'text/event-stream';
  // The hub's refusals say why in a JSON body: read for the two that change what comes next.
  const code =
    status === 403 || status === 503
      ? hubErrorCode(await response.text().catch(() => ''))
      : undefined;
  if (!host.current()) return;
  if (code === 'forbidden-origin') {
    host.fail('forbidden-origin', `The hub does not allow the origin ${location.origin}.`, {
      status,
    });
    return host.stop('error');
  }
  const retryAfter = retryAfterMs(
    response.headers.get('Retry-After'),
    response.headers.get('Date'),
  );
  // A hub process being drained (a rolling deploy): routine, not an error; again after its
  // Retry-After, when the load balancer sends the request to another process.
  if (code === 'draining') return host.retry(retryAfter, true);
  if (status !== 200 || wrongType) void response.body?.cancel().catch(() => {});
  if (status === 401 || status === 403) return refused(host, status);
  if (status !== 200) {
    host.fail('http-status', `The server answered ${status}.`, { status });
    if (status === 429 || status >= 500) return host.retry(retryAfter, true);
    return host.stop('error');
  }
  if (wrongType) {
    host.fail('content-type', `Expected text/event-stream, got "${contentType}".`, { status });
    return host.retry();
  }
  const origin = new URL(response.url || url).origin;
  const [doneEvent, doneData] = request.done ?? [];
  /**
   * The hub's final control event (`$expired`, `$revoked`): no topic has a `$`. `$presence`
   * (the hub's presence option) is not final: it is delivered as a `message` of that type.
   */
  let control: string | undefined;
  const parser = new SseParser(
    {
      onEvent: (event) => {
        if (!host.current() || control) return;
        // Other `$` events are the hub's notes (`$unsubscribed`): the stream goes on. `$presence`
        // is delivered as a `message` of that type.
        if (event.type[0] === '$' && event.type !== '$presence') {
          if (event.type === '$expired' || event.type === '$revoked') control = event.type;
          return;
        }
        const reason =
          event.type === doneEvent ? 'event' : doneData && event.data === doneData ? 'data' : '';
        if (reason) return host.done(new DoneEvent(reason, event.data, event.lastEventId));
        // A stream from another origin may be resumed by a new EventSource, which cannot send
        // Last-Event-ID at first: it drops what a server replays (see ReplayFilter).
        if (origin !== location.origin)
          (request.native.replays ??= new ReplayFilter()).delivered(event.lastEventId);
        host.receive(event.type, event.data, event.lastEventId, origin);
      },
      onRetry: (ms) => host.floor(ms),
    },
    cursor,
  );
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  host.opened(origin);
  let cut = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (!host.current()) return;
      if (done) break;
      host.alive();
      parser.push(decoder.decode(value, { stream: true }));
      if (!host.current()) return; // a listener closed or re-opened the feed
      host.cursor(parser.lastEventId);
      if (control) break;
    }
  } catch {
    if (!host.current()) return;
    cut = true;
  }
  if (control) {
    void reader.cancel().catch(() => {});
    // Expired: resume at once with fresh credentials. Revoked (the hub disconnected us): as a 401.
    if (control !== '$expired') return refused(host, 401);
    await host.renew(true);
    return void (host.current() && host.retry(-1, true));
  }
  parser.push(decoder.decode());
  parser.end();
  host.cursor(parser.lastEventId);
  // In WebKit a cut reads as the end: where `done-data` says how a stream ends, an end without
  // it is taken for the cut it may be (resumed by id, else interrupted), never for the end.
  if (webkit && doneData) cut = true;
  if (request.done && !cut) return host.done(new DoneEvent('end', '', parser.lastEventId));
  host.retry();
}

/** 401 (or the hub's `$revoked`): `refresh` once, then at once again; else, and on 403, final. */
async function refused(host: FetchHost, status: number): Promise<void> {
  if (status === 401 && (await host.renew())) return void (host.current() && host.retry(-1, true));
  if (!host.current()) return;
  host.fail('unauthorized', `The server answered ${status}; call reconnect() once authorized.`, {
    status,
  });
  host.stop('error');
}

/**
 * The cursor as a `Last-Event-ID` value, or `null` when no header can carry it.
 *
 * - UTF-8, as `EventSource` sends it (HTML § 9.2 "Last-Event-ID"): `Headers` sends each
 *   character below U+0100 as one byte, so the value is the id's UTF-8 bytes one per character
 *   (lone surrogates become U+FFFD). In WebKit (see `webkit`) the id itself is the value,
 *   which it sends as UTF-8; an id with a character above U+00FF, which `Headers` refuses, cannot
 *   go in a header there.
 * - Spaces and tabs around the id are dropped: HTTP strips them from any field value, and
 *   `EventSource` sends the id trimmed too.
 * - Control characters (U+0001–U+001F but tab, U+007F) are refused by HTTP servers (Node
 *   answers 400): such an id, or one of only spaces, goes in the `lastEventId` query instead.
 */
function headerValue(id: string): string | null {
  const trimmed = id.replace(/^[ \t]+|[ \t]+$/g, '');
  // eslint-disable-next-line no-control-regex
  if (!trimmed || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(trimmed)) return null;
  if (webkit) return /[\u0100-\uffff]/.test(trimmed) ? null : trimmed;
  let bytes = '';
  for (const byte of new TextEncoder().encode(trimmed)) bytes += String.fromCharCode(byte);
  return bytes;
}

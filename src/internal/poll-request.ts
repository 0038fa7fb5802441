import { retryAfterMs } from './retry-after.js';
import { hubErrorCode } from './hub-refusal.js';
import { requestBody } from './request-body.js';
import { renew } from './renewal.js';
import { RealtimeMessageEvent, ResetEvent, type RealtimeErrorInit } from './events.js';
import type { ReconnectController } from './reconnect-controller.js';

/** What one poll uses of `<poll-feed>` (protected members, reached on purpose). */
export interface PollHost {
  readonly isConnected: boolean;
  readonly superseded: boolean;
  readonly reconnector: ReconnectController;
  src: string;
  long: boolean;
  interval?: number;
  timeout: number;
  type: 'text' | 'json';
  method: string;
  body: unknown;
  headers:
    | Record<string, string>
    | (() => Record<string, string> | Promise<Record<string, string>>)
    | null;
  withCredentials: boolean;
  cursor: string;
  rewind: number;
  etag: string;
  lastModified: string;
  lastBody?: string;
  opened: boolean;
  renewed: boolean;
  inFlight?: AbortController;
  setState(state: string): void;
  emit(event: Event): boolean;
  fail(code: string, message: string, init?: RealtimeErrorInit): void;
  scheduleRetry(retryAfter?: number): number;
  settleRetry(delay: number): void;
  schedule(delay: number): void;
  connect(): void;
  lost(code?: string, message?: string, init?: RealtimeErrorInit): boolean;
}

interface HubPoll {
  events: { id: string; topic: string; data: unknown }[];
  cursor: string;
  reset?: { reason: string; topics?: string[] };
}

/**
 * One poll of `<poll-feed>`, loaded on first use: the request (headers evaluated per poll,
 * validators or the hub cursor, method and body), its status, then the answer. `controller` is
 * the element's `inFlight` while the poll is current; a page that closes the feed drops it.
 */
export async function pollRequest(host: PollHost, controller: AbortController): Promise<void> {
  const current = () => host.inFlight === controller;
  const url = new URL(host.src, document.baseURI);
  let response: Response;
  let body: string;
  // A poll that never settles (a server or proxy that holds it for ever) must not stop the feed.
  let late = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const headers = new Headers(
      (typeof host.headers === 'function' ? await host.headers() : host.headers) ?? undefined,
    );
    if (host.long) {
      if (host.cursor) url.searchParams.set('since', host.cursor);
      else if (host.rewind > 0) url.searchParams.set('rewind', String(host.rewind));
    } else {
      if (host.etag) headers.set('If-None-Match', host.etag);
      if (host.lastModified) headers.set('If-Modified-Since', host.lastModified);
    }
    const method = host.method || 'GET';
    const payload = /^(GET|HEAD)$/i.test(method) ? null : requestBody(host.body, headers);
    if (!current()) return;
    if (host.timeout > 0) {
      timer = setTimeout(() => {
        late = true;
        controller.abort();
      }, host.timeout);
    }
    response = await fetch(url, {
      method,
      headers,
      body: payload,
      credentials: host.withCredentials ? 'include' : 'same-origin',
      signal: controller.signal,
      cache: 'no-store',
    });
    body = response.status === 304 ? '' : await response.text();
  } catch (error) {
    if (!current()) return;
    host.inFlight = undefined;
    // A page being navigated away (Firefox and WebKit cut its fetches then): paused quietly.
    const reported = late
      ? host.lost('timeout', `No answer after ${host.timeout} ms.`)
      : host.lost('network', `The poll failed: ${(error as Error).message}`, { cause: error });
    return void (reported && host.settleRetry(host.scheduleRetry()));
  } finally {
    clearTimeout(timer);
  }
  if (!current()) return;
  const { status } = response;
  if (status >= 400 || (status < 200 && status !== 304)) {
    // Still in flight while `refresh` runs: a visibility change cannot start a second poll.
    const renewed = status === 401 && (await renew(host as never));
    // Removed, re-enabled or re-pointed while `refresh` ran: nothing of this poll is reported.
    if (!current()) return;
    if (renewed) {
      host.inFlight = undefined;
      return host.connect();
    }
    host.inFlight = undefined;
    if (status === 401 || status === 403) {
      // Final: retrying cannot help until the hub allows this page's origin, or the page's
      // credentials change (reconnect() once they have).
      const origin = status === 403 && hubErrorCode(body) === 'forbidden-origin';
      host.setState('error');
      return host.fail(
        origin ? 'forbidden-origin' : 'unauthorized',
        origin
          ? `The hub does not allow the origin ${location.origin}.`
          : `The server answered ${status}; call reconnect() once authorized.`,
        { status },
      );
    }
    // A hub process being drained (a rolling deploy) is routine, not an error: again after its
    // Retry-After, when the load balancer sends the poll to another process.
    if (hubErrorCode(body) !== 'draining')
      host.fail('http-status', `The server answered ${status}.`, { status });
    return host.settleRetry(
      host.scheduleRetry(
        retryAfterMs(response.headers.get('Retry-After'), response.headers.get('Date')),
      ),
    );
  }
  host.inFlight = undefined;
  host.renewed = false;
  if (!host.opened) {
    host.opened = true;
    host.setState('open');
    host.reconnector.opened();
    host.emit(new Event('open'));
    if (host.superseded) return; // an open listener changed course: no delivery, no next poll
  }
  if (host.long) receiveHub(host, body);
  else receiveContent(host, response, body);
  if (host.isConnected && !host.inFlight && !host.superseded) {
    host.schedule(host.interval ?? (host.long ? 0 : 5000));
  }
}

function receiveContent(host: PollHost, response: Response, body: string): void {
  if (response.status === 304) return;
  host.etag = response.headers.get('ETag') ?? '';
  host.lastModified = response.headers.get('Last-Modified') ?? '';
  if (body === host.lastBody) return;
  host.lastBody = body;
  let data: unknown = body;
  if (host.type === 'json') {
    try {
      data = JSON.parse(body);
    } catch (error) {
      return host.fail('parse-error', `The body is not JSON: ${(error as Error).message}`, {
        raw: body,
      });
    }
  }
  host.emit(
    new RealtimeMessageEvent({
      data,
      origin: new URL(response.url || host.src, document.baseURI).origin,
    }),
  );
}

function receiveHub(host: PollHost, body: string): void {
  let poll: HubPoll;
  try {
    poll = JSON.parse(body);
  } catch (error) {
    return host.fail('parse-error', `The poll answer is not JSON: ${(error as Error).message}`, {
      raw: body,
    });
  }
  if (poll.reset) host.emit(new ResetEvent(poll.reset.reason, poll.cursor, poll.reset.topics));
  for (const event of poll.events ?? []) {
    // A listener closed or re-opened the feed: the cursor stays at the last event delivered.
    if (host.superseded) return;
    host.cursor = event.id;
    host.emit(
      new RealtimeMessageEvent({
        data: event.data,
        lastEventId: event.id,
        topic: event.topic,
        id: event.id,
      }),
    );
  }
  if (poll.cursor) host.cursor = poll.cursor;
}

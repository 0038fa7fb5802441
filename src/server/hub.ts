import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Subscriber } from './subscriber.js';
import {
  BodyTooLarge,
  corsHeaders,
  originAllowed,
  readBody,
  requestUrl,
  sendJson,
  topicsOf,
} from './http.js';
import { WebSocketRelay } from './ws-relay.js';
import { HubCore, HubError, type ResolvedHubOptions } from './core.js';
import type { HubEvent, HubOptions } from './types.js';

export interface Hub {
  /** Publishes `data` (any JSON value) to `topic`; resolves with the event once stored. */
  publish(topic: string, data: unknown): Promise<HubEvent>;
  /** Routes a request to the endpoint under `basePath`; false when the path is not the hub's. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  handleSse(req: IncomingMessage, res: ServerResponse): Promise<void>;
  handlePoll(req: IncomingMessage, res: ServerResponse): Promise<void>;
  handlePublish(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Takes a WebSocket upgrade for `<basePath>/ws`; false (socket untouched) for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Ends every stream (WebSockets with 1001), answers pending polls, stops timers. */
  close(): Promise<void>;
  /** Live connection counts, for monitoring and tests. */
  stats(): { sse: number; ws: number; poll: number };
  readonly options: ResolvedHubOptions;
}

/** One SSE frame. JSON never contains a raw newline, so `data` is always one line. */
export const sseFrame = (event: HubEvent): string =>
  `id: ${event.id}\nevent: ${event.topic}\ndata: ${event.json}\n\n`;

/**
 * Creates a hub: topics served over SSE (with history and `Last-Event-ID` replay), a WebSocket
 * relay and long-poll, in memory unless another store is given.
 */
export function createHub(options: HubOptions = {}): Hub {
  const core = new HubCore(options);
  const { basePath } = core.options;
  const sseStreams = new Set<ServerResponse>();
  const polls = new Set<() => void>();
  const relay = new WebSocketRelay(core);
  const ownStore = !options.store;

  const keepAlive = setInterval(() => {
    for (const res of sseStreams) res.write(': keep-alive\n\n');
  }, core.options.keepAliveInterval);
  keepAlive.unref();

  /** Origin check + CORS; false when the request was refused (and answered). */
  function admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (originAllowed(req, core.options.allowedOrigins)) return true;
    sendJson(res, 403, { error: 'forbidden-origin', message: 'Origin not allowed.' });
    return false;
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (res.headersSent) return void res.destroy();
    if (error instanceof HubError) {
      sendJson(res, error.status, { error: error.code, message: error.message }, corsHeaders(req));
    } else {
      sendJson(res, 500, { error: 'internal', message: 'Internal error.' }, corsHeaders(req));
    }
  }

  /** Origin, topics and `authorize` for a subscribing request; undefined when it was refused. */
  async function admitSubscriber(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ url: URL; topics: string[] } | undefined> {
    if (!admit(req, res)) return undefined;
    const url = requestUrl(req);
    try {
      return { url, topics: await core.checkSubscribe(req, topicsOf(url)) };
    } catch (error) {
      fail(req, res, error);
      return undefined;
    }
  }

  async function handleSse(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (core.closing) {
      return fail(req, res, new HubError('closing', 'The hub is shutting down.', 503));
    }
    const admitted = await admitSubscriber(req, res);
    if (!admitted) return;
    const { url, topics } = admitted;
    // The header is newer than the query: EventSource keeps its first URL but sends the latest id.
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ||
      url.searchParams.get('lastEventId') ||
      undefined;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
      ...corsHeaders(req),
    });
    const retry = Math.round(core.options.retry * (1 + Math.random() / 2));
    res.write(`retry: ${retry}\n: connected\n\n`);
    res.socket?.setNoDelay(true);

    const subscriber = new Subscriber(topics, (event) => {
      res.write(sseFrame(event));
      if (res.writableLength > core.options.maxBufferedBytes) res.destroy();
    });
    sseStreams.add(res);
    core.attach(subscriber);
    const cleanup = () => {
      sseStreams.delete(res);
      core.detach(subscriber);
    };
    res.on('close', cleanup);
    try {
      // A client with no cursor gets one at once, as a `cursor` event (native EventSource code
      // cannot read the id of a frame without data): a drop before the first event loses nothing.
      const reset = await subscriber.start(core.store, cursor, (latest) =>
        res.write(`id: ${latest}\nevent: cursor\ndata: ${latest}\n\n`),
      );
      if (reset) {
        res.write(
          `id: ${reset.latest}\nevent: reset\ndata: ${JSON.stringify({ reason: reset.reason, id: reset.latest })}\n\n`,
        );
      }
    } catch {
      res.destroy();
    }
  }

  async function handlePoll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const admitted = await admitSubscriber(req, res);
    if (!admitted) return;
    const { url, topics } = admitted;
    const since = url.searchParams.get('since') || undefined;
    const asked = Number(url.searchParams.get('timeout'));
    const hold = Math.min(
      core.options.pollTimeout,
      asked >= 0 && url.searchParams.has('timeout') ? asked : core.options.pollTimeout,
    );
    const events: HubEvent[] = [];
    let answered = false;
    let flushTimer: ReturnType<typeof setImmediate> | undefined;
    let holdTimer: ReturnType<typeof setTimeout> | undefined;
    let cursor = since;

    const answer = (reset?: { reason: string; latest: string }) => {
      if (answered) return;
      answered = true;
      clearTimeout(holdTimer);
      if (flushTimer) clearImmediate(flushTimer);
      core.detach(subscriber);
      polls.delete(answerEmpty);
      const last = events.at(-1)?.id ?? reset?.latest ?? cursor;
      sendJson(
        res,
        200,
        {
          events: events.map(({ id, topic, data }) => ({ id, topic, data })),
          cursor: last,
          ...(reset ? { reset: { reason: reset.reason } } : {}),
        },
        corsHeaders(req),
      );
    };
    const answerEmpty = () => answer();
    const subscriber = new Subscriber(topics, (event) => {
      events.push(event);
      // Answer on the next turn, so events published together travel together.
      flushTimer ??= setImmediate(() => answer());
    });
    core.attach(subscriber);
    polls.add(answerEmpty);
    req.on('close', () => {
      if (!answered && !res.writableEnded) {
        answered = true;
        clearTimeout(holdTimer);
        core.detach(subscriber);
        polls.delete(answerEmpty);
      }
    });
    try {
      // The starting cursor itself, not a later "latest": events after it are in `events`.
      const reset = await subscriber.start(core.store, since, (latest) => (cursor = latest));
      if (reset) return answer(reset);
      if (events.length) return;
      // A poll without a cursor answers at once with one: a drop while holding it would
      // otherwise leave the client with no cursor, and a gap.
      if (core.closing || hold === 0 || !since) return answer();
      holdTimer = setTimeout(answerEmpty, hold);
    } catch (error) {
      answered = true;
      core.detach(subscriber);
      polls.delete(answerEmpty);
      fail(req, res, error);
    }
  }

  async function handlePublish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!admit(req, res)) return;
    try {
      const topic = topicsOf(requestUrl(req))[0];
      let body: string;
      try {
        body = await readBody(req, core.options.maxPayload);
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          res.setHeader('Connection', 'close');
          res.once('finish', () => req.destroy());
          throw new HubError(
            'too-large',
            `Data is larger than ${core.options.maxPayload} bytes.`,
            413,
          );
        }
        throw error;
      }
      let data: unknown;
      try {
        data = JSON.parse(body);
      } catch {
        throw new HubError('bad-data', 'The body is not JSON.', 400);
      }
      const key = req.headers['idempotency-key'];
      const event = await core.publish(topic, data, {
        req,
        ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
      });
      sendJson(res, 200, { id: event.id }, corsHeaders(req));
    } catch (error) {
      fail(req, res, error);
    }
  }

  function preflight(req: IncomingMessage, res: ServerResponse): void {
    if (!admit(req, res)) return;
    res.writeHead(204, {
      ...corsHeaders(req),
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers':
        'Content-Type, Last-Event-ID, Authorization, If-None-Match, Idempotency-Key',
      'Access-Control-Max-Age': '600',
    });
    res.end();
  }

  const routes: Record<
    string,
    Record<string, (req: IncomingMessage, res: ServerResponse) => unknown>
  > = {
    [`${basePath}/sse`]: { GET: handleSse },
    [`${basePath}/poll`]: { GET: handlePoll },
    [`${basePath}/publish`]: { POST: handlePublish },
  };

  return {
    options: core.options,
    publish: (topic, data) => core.publish(topic, data),
    handleSse,
    handlePoll,
    handlePublish,
    handleRequest(req, res) {
      // Path and method come from the request: own properties only.
      const path = requestUrl(req).pathname;
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
      if (!route) return false;
      const method = req.method ?? 'GET';
      const handler = Object.hasOwn(route, method) ? route[method] : undefined;
      if (handler) void handler(req, res);
      else if (req.method === 'OPTIONS') preflight(req, res);
      else {
        res.writeHead(405, { Allow: Object.keys(route).join(', ') });
        res.end();
      }
      return true;
    },
    handleUpgrade(req, socket, head) {
      if (requestUrl(req).pathname !== `${basePath}/ws`) return false;
      relay.handleUpgrade(req, socket, head);
      return true;
    },
    async close() {
      if (core.closing) return;
      core.close();
      clearInterval(keepAlive);
      for (const answer of [...polls]) answer();
      for (const res of sseStreams) res.end();
      sseStreams.clear();
      await relay.close();
      if (ownStore) await core.store.close();
    },
    stats: () => ({ sse: sseStreams.size, ws: relay.size, poll: polls.size }),
  };
}

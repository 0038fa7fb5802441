import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError, type EndReason, type HubCore } from './core.js';
import { corsHeaders } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';
import { Http2Request } from './http2.js';
import { Subscriber, type SubscriberReset } from './subscriber.js';
import type { HubEvent } from './types.js';
import type { Compression } from './compression.js';
import { GzipEventStream, plainWriter, type EventStreamWriter } from './gzip-event-stream.js';
import { closeAfterResponse, drainRetry } from './drain.js';

/** One SSE frame. JSON never contains a raw newline, so `data` is always one line. */
export const sseFrame = (event: HubEvent): string =>
  `id: ${event.id}\nevent: ${event.topic}\ndata: ${event.json}\n\n`;

const resetFrame = ({ reason, latest, topics }: SubscriberReset): string =>
  `id: ${latest}\nevent: reset\ndata: ${JSON.stringify({ reason, id: latest, ...(topics ? { topics } : {}) })}\n\n`;

/** `GET <basePath>/sse`: a Server-Sent Events stream with `Last-Event-ID` replay. */
export class SseEndpoint extends HttpEndpoint {
  /** Each live stream and what it writes through (gzip or not). */
  private readonly streams = new Map<ServerResponse, EventStreamWriter>();
  private readonly keepAlive: ReturnType<typeof setInterval>;

  constructor(
    core: HubCore,
    private readonly compression?: Compression,
  ) {
    super(core);
    this.keepAlive = setInterval(() => {
      for (const [res, out] of this.streams) {
        if (res.headersSent && !res.writableEnded) out.write(': keep-alive\n\n');
      }
    }, core.options.keepAliveInterval);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  /** Ends every stream (a stream still starting is answered `503 closing`) and the keep-alive. */
  close(): void {
    clearInterval(this.keepAlive);
    for (const [res, out] of this.streams) {
      if (res.headersSent) out.end();
      else {
        this.fail(
          res.req,
          res,
          new HubError('closing', 'The hub is shutting down.', 503, this.core.retryAfter),
        );
      }
    }
    this.streams.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    const presence = this.presence(res);
    const admitted = await this.admitSubscriber(req, res);
    if (!admitted || presence.gone) return;
    const { url, topics, grant, rewind } = admitted;
    // The header is newer than the query: EventSource keeps its first URL but sends the latest id.
    const cursor =
      (req.headers['last-event-id'] as string | undefined) ||
      url.searchParams.get('lastEventId') ||
      undefined;

    // The 200 goes out with the first frame, i.e. only once the store has answered: a store
    // that is down gets the client a readable `503` instead of an empty stream.
    const gzip = this.compression?.gzipFor(req);
    const out = gzip ? new GzipEventStream(res, this.compression!) : plainWriter(res);
    const write = (frame: string, event?: HubEvent) => {
      // Answered already (a 503 while the hub closed during the start) or gone: a write would
      // be an error event on the response.
      if (presence.gone || res.writableEnded || res.destroyed) return;
      if (!res.headersSent) {
        res.writeHead(
          200,
          Http2Request.headers(req, {
            'Content-Type': 'text/event-stream; charset=utf-8',
            'Cache-Control': 'no-cache, no-transform',
            'X-Accel-Buffering': 'no',
            Connection: 'keep-alive',
            ...corsHeaders(req),
            ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Origin, Accept-Encoding' } : {}),
          }),
        );
        const retry = Math.round(core.options.retry * (1 + Math.random() / 2));
        out.write(`retry: ${retry}\n: connected\n\n`);
        res.socket?.setNoDelay(true);
      }
      // Cut off when what was queued before this frame is still past the bound: one frame
      // larger than maxBufferedBytes (a presence snapshot of many members) is not, by itself, a
      // slow consumer — cutting it would cut the same client on every reconnect.
      const backlog = res.writableLength;
      out.write(frame, event);
      if (backlog > core.options.maxBufferedBytes) {
        core.metrics?.slowConsumer('sse');
        core.log.incident(
          'slow SSE consumers cut off',
          `cut off a slow SSE consumer (${res.writableLength} bytes queued > maxBufferedBytes); it resumes from its cursor`,
        );
        res.destroy();
      }
    };
    const subscriber = new Subscriber(topics, (event) => {
      if (!res.writableEnded && !res.destroyed) core.metrics?.delivered('sse');
      write(sseFrame(event), event);
    });
    subscriber.onReset = (reset) => {
      core.metrics?.reset(reset.reason);
      write(resetFrame(reset));
    };
    // Registered in the same turn as the check above: no await in between, so no ghost.
    this.streams.set(res, out);
    core.attach(subscriber);
    // A stream told to move while it still starts (its replay awaits the store) ends once it has
    // started: admitted before the drain, a 503 would be an `error` to EventSource.
    let started = false;
    let moveWhenStarted = false;
    // Expired or disconnected: a final control event whose name no topic can have (`$`), then
    // the end. The client resumes at once with fresh credentials (`$expired`) or treats it as
    // a 401 (`$revoked`); its cursor is where it was.
    const end = (reason: EndReason) => {
      // Moved (draining, maxConnectionAge): a plain end after a short jittered `retry:`, which
      // every client (EventSource too) follows at once, with its cursor.
      if (reason === 'drain' && !started) return void (moveWhenStarted = true);
      write(
        reason === 'drain'
          ? `retry: ${drainRetry(core.options.retry)}\n\n`
          : `event: $${reason}\ndata: {}\n\n`,
      );
      if (!res.writableEnded) out.end();
      if (reason === 'drain') closeAfterResponse(req);
    };
    const untrack = core.track(
      { transport: 'sse', req, ...grant },
      end,
      // `hub.unsubscribe`: `$unsubscribed` names the topics; a stream left with none ends.
      (drop) => {
        const gone = [...subscriber.topics].filter((topic) => drop.has(topic));
        if (!gone.length) return false;
        core.detach(subscriber);
        for (const topic of gone) subscriber.topics.delete(topic);
        core.attach(subscriber);
        // Not a member of those topics any more, nor told of their presence.
        held?.release(gone);
        unwatch?.(gone);
        write(`event: $unsubscribed\ndata: ${JSON.stringify({ topics: gone })}\n\n`);
        if (!subscriber.topics.size && !res.writableEnded) out.end();
        return true;
      },
    );
    // Presence (the `presence` option): the user is held while the stream lives; the stream
    // gets `$presence` events (a name no topic can have).
    const held = core.presence?.enter(topics, grant);
    let unwatch: ((topics?: Iterable<string>) => void) | undefined;
    res.once('close', () => {
      untrack();
      this.streams.delete(res);
      core.detach(subscriber);
      held?.release();
      unwatch?.();
    });
    try {
      await held?.ready;
      // A client with no cursor gets one at once, as a `cursor` event (native EventSource code
      // cannot read the id of a frame without data): a drop before the first event loses nothing.
      await subscriber.start(
        core.store,
        cursor,
        (latest) => write(`id: ${latest}\nevent: cursor\ndata: ${latest}\n\n`),
        { rewind, max: core.options.maxReplay },
      );
      if (!res.headersSent && !presence.gone) write(': resumed\n\n');
      if (!presence.gone && !res.writableEnded) {
        // The topics left: `hub.unsubscribe` may have dropped some while the stream started.
        unwatch = core.presence?.watch(subscriber.topics, (message) =>
          write(`event: $presence\ndata: ${JSON.stringify(message)}\n\n`),
        );
      }
      started = true;
      if (moveWhenStarted) end('drain');
    } catch (error) {
      held?.release();
      this.streams.delete(res);
      core.detach(subscriber);
      this.fail(req, res, core.unavailable(error));
    }
  }
}

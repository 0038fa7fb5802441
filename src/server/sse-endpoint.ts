import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError, type HubCore } from './core.js';
import { corsHeaders } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';
import { Subscriber } from './subscriber.js';
import type { HubEvent } from './types.js';

/** One SSE frame. JSON never contains a raw newline, so `data` is always one line. */
export const sseFrame = (event: HubEvent): string =>
  `id: ${event.id}\nevent: ${event.topic}\ndata: ${event.json}\n\n`;

/** `GET <basePath>/sse`: a Server-Sent Events stream with `Last-Event-ID` replay. */
export class SseEndpoint extends HttpEndpoint {
  private readonly streams = new Set<ServerResponse>();
  private readonly keepAlive: ReturnType<typeof setInterval>;

  constructor(core: HubCore) {
    super(core);
    this.keepAlive = setInterval(() => {
      for (const res of this.streams) res.write(': keep-alive\n\n');
    }, core.options.keepAliveInterval);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  /** Ends every stream and stops the keep-alive timer. */
  close(): void {
    clearInterval(this.keepAlive);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const core = this.core;
    if (core.closing) {
      return this.fail(req, res, new HubError('closing', 'The hub is shutting down.', 503));
    }
    const admitted = await this.admitSubscriber(req, res);
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
    this.streams.add(res);
    core.attach(subscriber);
    const cleanup = () => {
      this.streams.delete(res);
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
}

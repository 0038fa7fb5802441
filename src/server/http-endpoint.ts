import type { IncomingMessage, ServerResponse } from 'node:http';
import { badTopic, parseRewind, HubError, type HubCore } from './core.js';
import { corsHeaders, originAllowed, requestUrl, sendJson, topicsOf } from './http.js';
import type { AuthGrant } from './types.js';

/** Whether a client left before its answer was complete. */
export interface Presence {
  readonly gone: boolean;
}

/** What every HTTP endpoint of the hub shares: the origin check and JSON error answers. */
export abstract class HttpEndpoint {
  constructor(protected readonly core: HubCore) {}

  /**
   * Watches for the client leaving. Call it before the first `await`: a client that aborts
   * during `authorize` or a store call must leave nothing behind (no ghost stream or poll).
   */
  protected presence(res: ServerResponse): Presence {
    const presence = { gone: Boolean(res.socket?.destroyed) };
    res.once('close', () => {
      // Closed before the hub ended its answer. Not `writableFinished`: HTTP/2's compatibility
      // API reports a stream the client cancelled (RST_STREAM) as finished.
      if (!res.writableEnded) presence.gone = true;
    });
    return presence;
  }

  /**
   * Origin check; false when the request was refused (and answered `403 forbidden-origin`).
   * The refusal carries CORS headers so the page can read it, and is logged once per burst.
   */
  protected admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (originAllowed(req, this.core.options.allowedOrigins)) return true;
    const origin = req.headers.origin ?? '';
    this.core.log.incident(
      'refused origins',
      `refused origin ${origin} on ${requestUrl(req).pathname}: allow it with the allowedOrigins option (--allowed-origin)`,
    );
    sendJson(
      res,
      403,
      {
        error: 'forbidden-origin',
        message: `Origin ${origin} is not allowed by this hub (see its allowedOrigins).`,
      },
      corsHeaders(req),
    );
    return false;
  }

  /**
   * Answers a failure as JSON: a `HubError`'s code and status (`Retry-After` when it has one),
   * else `500 internal`. Once a stream's head is out, the only way left is to drop it.
   */
  protected fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (res.headersSent || res.destroyed) return void res.destroy();
    if (error instanceof HubError) {
      const retry: Record<string, string> =
        error.retryAfter !== undefined ? { 'Retry-After': String(error.retryAfter) } : {};
      sendJson(
        res,
        error.status,
        { error: error.code, message: error.message },
        {
          ...corsHeaders(req),
          ...retry,
        },
      );
    } else {
      // The page learns only `internal`; whoever runs the hub learns why.
      const path = requestUrl(req).pathname;
      this.core.log.incident(
        'internal errors',
        `500 internal for ${req.method} ${path}: ${(error as Error)?.message ?? error}`,
      );
      sendJson(res, 500, { error: 'internal', message: 'Internal error.' }, corsHeaders(req));
    }
  }

  /** Origin, topics and `authorize` for a subscribing request; undefined when it was refused. */
  protected async admitSubscriber(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ url: URL; topics: string[]; grant: AuthGrant; rewind: number } | undefined> {
    if (!this.admit(req, res)) return undefined;
    const url = requestUrl(req);
    try {
      this.core.assertAdmitting();
      const { topics, bad } = topicsOf(url);
      if (bad) throw badTopic(bad.topic, bad.within);
      const asked = url.searchParams.get('rewind');
      // `rewind=N`: the last N events first (at most `maxReplay`), only without a cursor.
      const rewind = asked === null || asked === '' ? 0 : parseRewind(asked);
      return { url, ...(await this.core.checkSubscribe(req, topics)), rewind };
    } catch (error) {
      this.fail(req, res, error);
      return undefined;
    }
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubError, type HubCore } from './core.js';
import { corsHeaders, originAllowed, requestUrl, sendJson, topicsOf } from './http.js';

/** What every HTTP endpoint of the hub shares: the origin check and JSON error answers. */
export abstract class HttpEndpoint {
  constructor(protected readonly core: HubCore) {}

  /** Origin check + CORS; false when the request was refused (and answered). */
  protected admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (originAllowed(req, this.core.options.allowedOrigins)) return true;
    sendJson(res, 403, { error: 'forbidden-origin', message: 'Origin not allowed.' });
    return false;
  }

  /** Answers a failure as JSON (`HubError` code and status, else `500 internal`). */
  protected fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (res.headersSent) return void res.destroy();
    if (error instanceof HubError) {
      sendJson(res, error.status, { error: error.code, message: error.message }, corsHeaders(req));
    } else {
      sendJson(res, 500, { error: 'internal', message: 'Internal error.' }, corsHeaders(req));
    }
  }

  /** Origin, topics and `authorize` for a subscribing request; undefined when it was refused. */
  protected async admitSubscriber(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ url: URL; topics: string[] } | undefined> {
    if (!this.admit(req, res)) return undefined;
    const url = requestUrl(req);
    try {
      return { url, topics: await this.core.checkSubscribe(req, topicsOf(url)) };
    } catch (error) {
      this.fail(req, res, error);
      return undefined;
    }
  }
}

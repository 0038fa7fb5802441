import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubCore } from './core.js';
import { corsHeaders } from './http.js';
import { HttpEndpoint } from './http-endpoint.js';

/**
 * `OPTIONS` on any hub endpoint: the CORS preflight (Fetch standard, CORS protocol). A refused
 * origin's preflight passes too: the request that follows is refused with a `403
 * forbidden-origin` the page can read, instead of a bare network error it would retry forever.
 */
export class Preflight extends HttpEndpoint {
  constructor(core: HubCore) {
    super(core);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(204, {
      ...corsHeaders(req),
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers':
        'Content-Type, Last-Event-ID, Authorization, If-None-Match, Idempotency-Key',
      'Access-Control-Max-Age': '600',
    });
    res.end();
  }
}

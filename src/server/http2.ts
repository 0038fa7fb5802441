import type { IncomingMessage } from 'node:http';

/**
 * What differs for the hub when a request comes through `node:http2`'s compatibility API
 * (`http2.createSecureServer({ allowHTTP1: true }, handler)`), so every endpoint reads one answer.
 * The same server also takes HTTP/1.1 (and WebSocket upgrades, which HTTP/2 has no way to carry
 * here) as plain `IncomingMessage`s.
 */
export class Http2Request {
  /** Whether `req` came over HTTP/2 (`httpVersionMajor` 2; HTTP/3 would be 3). */
  static is(req: IncomingMessage): boolean {
    return req.httpVersionMajor >= 2;
  }

  /**
   * The request's authority (`host[:port]`): HTTP/2's `:authority` pseudo-header (RFC 9113
   * § 8.3.1), else `Host` — HTTP/2 clients send one or the other; HTTP/1.1 always sends `Host`.
   * Undefined when neither came.
   */
  static host(req: IncomingMessage): string | undefined {
    const authority = req.headers[':authority'];
    return (typeof authority === 'string' && authority) || req.headers.host || undefined;
  }

  /**
   * `headers` with connection-specific fields (`Connection`, `Keep-Alive`, `Transfer-Encoding`,
   * …) left out on HTTP/2, where they are malformed (RFC 9113 § 8.2.2): Node drops them with an
   * `UnsupportedWarning` on every response, and a strict proxy or client may refuse the stream.
   */
  static headers<T extends Record<string, string | number>>(req: IncomingMessage, headers: T): T {
    if (!Http2Request.is(req)) return headers;
    const kept: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!connectionSpecific.has(name.toLowerCase())) kept[name] = value;
    }
    return kept as T;
  }
}

const connectionSpecific = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

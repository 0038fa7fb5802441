import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http2Request } from './http2.js';

/** Topic names: 1–128 of letters, digits and `_ . : / -`; `reset` and `cursor` are the hub's own SSE events. */
const topicPattern = /^[\w.:/-]{1,128}$/;
export const isValidTopic = (topic: unknown): topic is string =>
  typeof topic === 'string' && topicPattern.test(topic) && topic !== 'reset' && topic !== 'cursor';

/**
 * `?topic=a&topic=b` or `?topic=a%20b` (spaces or commas), deduplicated, in order; `bad` is
 * the first invalid name with the whole parameter value it came in, so a refusal can name both.
 */
export function topicsOf(url: URL): { topics: string[]; bad?: { topic: string; within: string } } {
  const topics = new Set<string>();
  for (const value of url.searchParams.getAll('topic')) {
    for (const topic of value.split(/[\s,]+/).filter(Boolean)) {
      if (!isValidTopic(topic)) return { topics: [...topics], bad: { topic, within: value } };
      topics.add(topic);
    }
  }
  return { topics: [...topics] };
}

/**
 * The request's path and query as a URL. Its host is a fixed placeholder, never the request's
 * `Host` / `:authority`: those come from the client, and one the URL parser refuses (`a%zz`,
 * `[zz`, `x:99999` — nghttp2 and llhttp pass them) would throw out of the request handler and
 * stop the process. An absolute-form target (RFC 9112 § 3.2.2) is read by its path alone; an
 * origin-form one is a path even when it starts with `//`.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = (req.url ?? '/').replace(absoluteForm, '');
  // Appended, not resolved: `//a%zz/x` is a path here, not a protocol-relative URL.
  return new URL(`http://hub.invalid${target.startsWith('/') ? '' : '/'}${target}`);
}

/** `scheme://authority` at the start of an absolute-form request target. */
const absoluteForm = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i;

/**
 * Whether the request's `Origin` may use the hub. No `Origin` (a server-side client) is
 * allowed; by default only the hub's own host is.
 */
export function originAllowed(req: IncomingMessage, allowed: string[] | '*' | undefined): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowed === '*') return true;
  if (allowed) return allowed.includes(origin);
  try {
    // Host (HTTP/2: `:authority`) read with the Origin's scheme, so a default port a proxy spells
    // out (`Host: app.example:443`, nginx's `$host:$server_port`) still matches `https://app.example`.
    const page = new URL(origin);
    return new URL(`${page.protocol}//${Http2Request.host(req)}`).host === page.host;
  } catch {
    return false;
  }
}

/**
 * CORS headers for a cross-origin request (credentials included: cookies carry auth). Refusals
 * carry them too, so the page can read *why* (a `403 forbidden-origin` body) instead of a bare
 * network error; the refused request itself has done nothing.
 */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'ETag, Retry-After',
    Vary: 'Origin',
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export class BodyTooLarge extends Error {}

/**
 * Reads a request body up to `limit` bytes; rejects with `BodyTooLarge` past it. A body parser
 * mounted before the hub (Express's `express.json()`, …) has already taken the stream and left
 * `req.body`: that is used instead (as JSON text), under the same limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  if (req.readableEnded && 'body' in req && req.body !== undefined) {
    const { body } = req;
    const text =
      typeof body === 'string'
        ? body
        : Buffer.isBuffer(body)
          ? body.toString('utf8')
          : JSON.stringify(body);
    return Buffer.byteLength(text) > limit
      ? Promise.reject(new BodyTooLarge())
      : Promise.resolve(text);
  }
  // Read by something else that kept nothing: no `end` will come, so waiting would hang.
  if (req.readableEnded) {
    return Promise.reject(
      new Error('The request body was read before the hub saw it, and no req.body was left.'),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; the caller answers 413 and then drops the connection.
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    // A client that leaves mid-body may not error: without this the promise would never settle.
    req.on('close', () => reject(new Error('The client left before the body was complete.')));
  });
}

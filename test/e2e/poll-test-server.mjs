/**
 * Endpoints for `<poll-feed>` tests under /poll-test/ (`?key=` groups one test's requests):
 * etag — the key's current body with an ETag, 304 on a matching If-None-Match;
 * plain — the body with no validators; status?status=500,200&retry-after=N — statuses in turn;
 * slow?ms=N — answers after N ms. `poll-set` sets a key's body; `poll-requests` returns the log
 * (status, If-None-Match, time, and the most requests a key ever had in flight at once).
 */
import { createHash } from 'node:crypto';

export function pollTestServer() {
  const bodies = new Map();
  const logs = new Map();
  const inFlight = new Map();
  const maxInFlight = new Map();
  return {
    name: 'poll-test-server',
    async middleware(context, next) {
      if (!context.path.startsWith('/poll-test/')) return next();
      const url = new URL(context.req.url, 'http://x');
      const key = url.searchParams.get('key') ?? 'default';
      const log = logs.get(key) ?? [];
      logs.set(key, log);
      const entry = {
        at: Date.now(),
        ifNoneMatch: context.get('If-None-Match') || null,
        status: 0,
        closed: false,
      };
      log.push(entry);
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key)));
      context.req.on('close', () => (entry.closed = true));
      try {
        const kind = context.path.slice('/poll-test/'.length);
        const body = bodies.get(key) ?? 'initial';
        context.set('Cache-Control', 'no-store');
        if (kind === 'etag') {
          const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 12)}"`;
          context.set('ETag', etag);
          if (entry.ifNoneMatch === etag) context.status = 304;
          else context.body = body;
        } else if (kind === 'plain') {
          context.body = body;
        } else if (kind === 'status') {
          const statuses = url.searchParams.get('status').split(',').map(Number);
          const status = statuses[Math.min(log.length, statuses.length) - 1];
          if (url.searchParams.has('retry-after'))
            context.set('Retry-After', url.searchParams.get('retry-after'));
          context.status = status;
          context.body = `status ${status} #${log.length}`;
        } else if (kind === 'slow') {
          await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms'))));
          context.body = `slow #${log.length}`;
        } else {
          context.status = 404;
        }
        entry.status = context.status;
      } finally {
        inFlight.set(key, inFlight.get(key) - 1);
      }
    },
    executeCommand({ command, payload }) {
      if (command === 'poll-set') {
        bodies.set(payload.key, payload.body);
        return true;
      }
      if (command === 'poll-requests') {
        return { log: logs.get(payload.key) ?? [], maxInFlight: maxInFlight.get(payload.key) ?? 0 };
      }
      return undefined;
    },
  };
}

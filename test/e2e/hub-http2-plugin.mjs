/**
 * A hub behind a real HTTPS server that speaks HTTP/2 (`http2.createSecureServer({ allowHTTP1:
 * true })`, a self-signed certificate made when this module loads), serving its own pages
 * (`/feed.html`, one `<sse-feed>` from the built CDN bundle) so tabs of the test's browser talk
 * to it over h2. The tabs are the generic ones of tabs-plugin.mjs, opened with
 * `acceptInsecureCerts` (how each engine is told to accept the certificate is written there;
 * WebKitGTK gets `http2Tls.certificates` at launch), so no other test runs with certificate
 * checks off. Started on first use, one per engine:
 * - `h2-start` → `{ origin }`;
 * - `h2-publish` `{ topic, data }`;
 * - `h2-state` → HTTP/2 sessions (total, open), TLS connections (total, open), SSE requests open per HTTP
 *   version, the hub's stats, and each request with the connection that carried it.
 */
import http2 from 'node:http2';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { createHub } from '../../dist/server/index.js';
import { makeCertificate } from '../node/server/http2-helpers.mjs';
import { engineOf } from '../engines.mjs';

/**
 * The server's key and certificate, and the certificate as a file for a browser told at launch
 * to trust it for 127.0.0.1 (`certificates` of WebKitLauncher). The file goes with the process.
 */
export const http2Tls = await (async () => {
  const { key, cert } = await makeCertificate();
  const dir = mkdtempSync(join(tmpdir(), 'realtime-h2-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const certificateFile = join(dir, 'cert.pem');
  writeFileSync(certificateFile, cert);
  return { key, cert, certificates: [{ host: '127.0.0.1', certificateFile }] };
})();

const page = (topics, native) => `<!doctype html>
<meta charset="utf-8">
<title>h2 feed</title>
<script type="module" src="/cdn/sse-feed.js"></script>
<sse-feed id="feed" type="json" src="/realtime/sse?${topics.map((t) => `topic=${t}`).join('&')}"
  ${native ? 'mode="native"' : ''}></sse-feed>
<script>
  window.received = [];
  window.errors = [];
  feed.addEventListener('message', (e) => received.push(e.data));
  feed.addEventListener('error', (e) => errors.push(e.code));
</script>`;

async function startServer(root) {
  const hub = createHub({ keepAliveInterval: 1000 });
  const cdn = join(root, 'dist/cdn');
  const { key, cert } = http2Tls;
  const sse = { 1: 0, 2: 0 };
  /** Which connection carried each request: `h2#1 GET /feed.html`, `h1#2 …` (for failures). */
  const numbers = new WeakMap();
  const requests = [];
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true }, async (req, res) => {
    const url = new URL(req.url, 'https://x');
    const via = req.stream
      ? `h2#${numbers.get(req.stream.session)}`
      : `h1#${numbers.get(req.socket)}`;
    requests.push(`${via} ${req.method} ${url.pathname}`);
    if (url.pathname.endsWith('/sse')) {
      const version = req.httpVersionMajor;
      sse[version] = (sse[version] ?? 0) + 1;
      res.once('close', () => sse[version]--);
    }
    if (hub.handleRequest(req, res)) return;
    if (url.pathname === '/feed.html') {
      const topics = url.searchParams.getAll('topic');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(page(topics, url.searchParams.has('native')));
    }
    const file = normalize(join(cdn, url.pathname.replace(/^\/cdn\//, '')));
    if (url.pathname.startsWith('/cdn/') && file.startsWith(cdn)) {
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        return void res.end(body);
      } catch {
        // not found below
      }
    }
    res.writeHead(404).end();
  });
  const sessions = new Set();
  let sessionsTotal = 0;
  server.on('session', (session) => {
    numbers.set(session, ++sessionsTotal);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set();
  let socketsTotal = 0;
  server.on('secureConnection', (socket) => {
    numbers.set(socket, ++socketsTotal);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    hub,
    origin: `https://127.0.0.1:${server.address().port}`,
    counts: () => ({
      sessionsTotal,
      sessionsOpen: sessions.size,
      tlsOpen: sockets.size,
      tlsTotal: socketsTotal,
      sseH2: sse[2],
      sseH1: sse[1],
      requests,
    }),
    async stop() {
      await hub.close();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

export function hubHttp2Plugin({ root = process.cwd() } = {}) {
  /** A server per engine: Firefox and WebKit run side by side, and the test counts connections. */
  const started = new Map();
  return {
    name: 'hub-http2',
    async serverStop() {
      for (const server of started.values()) await (await server).stop();
    },
    async executeCommand({ command, payload = {}, session }) {
      if (!command.startsWith('h2-')) return undefined;
      const engine = engineOf(session.browser);
      if (!started.has(engine)) started.set(engine, startServer(root));
      const h = await started.get(engine);
      switch (command) {
        case 'h2-start':
          return { origin: h.origin };
        case 'h2-publish':
          await h.hub.publish(payload.topic, payload.data);
          return true;
        case 'h2-state':
          return { ...h.counts(), hub: h.hub.stats() };
        default:
          return undefined;
      }
    },
  };
}

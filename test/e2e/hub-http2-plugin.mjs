/**
 * A hub behind a real HTTPS server that speaks HTTP/2 (`http2.createSecureServer({ allowHTTP1:
 * true })`, a self-signed certificate made at start), serving its own pages (`/feed.html`, one
 * `<sse-feed>` from the built CDN bundle) so tabs of the test's browser talk to it over h2.
 * Started on first use; the browser is told to accept the certificate per tab (DevTools
 * `Security.setIgnoreCertificateErrors`), so no other test runs with certificate checks off.
 * - `h2-start` → `{ origin }`;
 * - `h2-open-tab` `{ topics, native }` → a tab id, once its page has loaded (its feed opens
 *   after: the test waits for it through `h2-state`, as one command must answer within 20 s);
 * - `h2-publish` `{ topic, data }`; `h2-tab-publish` `{ id, topic, data }`: the tab POSTs it
 *   (`fetch`, so Chromium sends `Origin`), → the status;
 * - `h2-state` → HTTP/2 sessions (total, open), TLS connections open, SSE requests open per HTTP
 *   version, and per tab what its feed received and its page's `nextHopProtocol`;
 * - `h2-close-tabs`.
 */
import http2 from 'node:http2';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { createHub } from '../../dist/server/index.js';
import { makeCertificate } from '../node/server/http2-helpers.mjs';

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
  const { key, cert } = await makeCertificate();
  const sse = { 1: 0, 2: 0 };
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true }, async (req, res) => {
    const url = new URL(req.url, 'https://x');
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
    sessionsTotal++;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const sockets = new Set();
  server.on('secureConnection', (socket) => {
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
      sseH2: sse[2],
      sseH1: sse[1],
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
  let started;
  const tabs = new Map();
  let nextId = 1;
  return {
    name: 'hub-http2',
    async serverStop() {
      for (const page of tabs.values()) await page.close().catch(() => {});
      await (await started)?.stop();
    },
    async executeCommand({ command, payload = {}, session }) {
      if (!command.startsWith('h2-')) return undefined;
      started ??= startServer(root);
      const h = await started;
      switch (command) {
        case 'h2-start':
          return { origin: h.origin };
        case 'h2-open-tab': {
          const testPage = session.browser.getPage(session.id);
          const tab = await testPage.browserContext().newPage();
          const cdp = await tab.createCDPSession();
          await cdp.send('Security.setIgnoreCertificateErrors', { ignore: true });
          const query = payload.topics.map((t) => `topic=${t}`).join('&');
          await tab.goto(`${h.origin}/feed.html?${query}${payload.native ? '&native' : ''}`, {
            waitUntil: 'load',
          });
          const id = String(nextId++);
          tabs.set(id, tab);
          return id;
        }
        case 'h2-publish':
          await h.hub.publish(payload.topic, payload.data);
          return true;
        case 'h2-tab-publish':
          return tabs.get(payload.id).evaluate(
            (topic, data) =>
              fetch(`/realtime/publish?topic=${topic}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(data),
              }).then((response) => response.status),
            payload.topic,
            payload.data,
          );
        case 'h2-state': {
          const perTab = {};
          for (const [id, tab] of tabs) {
            perTab[id] = await tab.evaluate(() => ({
              received: window.received,
              errors: window.errors,
              protocol: performance.getEntriesByType('navigation')[0]?.nextHopProtocol,
              state: document.querySelector('sse-feed').state,
            }));
          }
          return { ...h.counts(), hub: h.hub.stats(), tabs: perTab };
        }
        case 'h2-close-tabs':
          for (const [id, tab] of tabs) {
            await tab.close();
            tabs.delete(id);
          }
          return true;
        default:
          return undefined;
      }
    },
  };
}

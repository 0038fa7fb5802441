// The hub behind a real `node:http2` TLS server (`allowHTTP1: true`, a self-signed certificate
// made here for 127.0.0.1 and localhost), and a small HTTP/2 client for it.
import http2 from 'node:http2';
import { once } from 'node:events';
import selfsigned from 'selfsigned';
import { createHub } from '../../../dist/server/index.js';
import { sseRecords } from './hub-helpers.mjs';

/** A self-signed certificate (EC P-256) valid for `localhost` and `127.0.0.1`. */
export async function makeCertificate() {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/** The hub on `http2.createSecureServer({ allowHTTP1: true })`; `sessions` counts TLS connections. */
export async function startHttp2Hub(options = {}, certificate) {
  const { key, cert } = certificate ?? (await makeCertificate());
  const hub = createHub(options);
  const server = http2.createSecureServer({ key, cert, allowHTTP1: true }, (req, res) => {
    if (!hub.handleRequest(req, res)) res.writeHead(404).end();
  });
  // WebSocket has no way over this HTTP/2 server: browsers open it on its own HTTP/1.1 connection.
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  let sessions = 0;
  const open = new Set();
  server.on('session', (session) => {
    sessions++;
    open.add(session);
    session.once('close', () => open.delete(session));
  });
  const tls = new Set();
  server.on('secureConnection', (socket) => {
    tls.add(socket);
    socket.once('close', () => tls.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `https://127.0.0.1:${server.address().port}`;
  return {
    hub,
    server,
    origin,
    cert,
    url: (path) => `${origin}${hub.options.basePath}${path}`,
    path: (path) => `${hub.options.basePath}${path}`,
    /** HTTP/2 sessions opened so far, and open now; TLS connections (either protocol) open now. */
    sessions: () => ({ total: sessions, open: open.size, tls: tls.size }),
    async close() {
      await hub.close();
      for (const session of open) session.destroy();
      for (const socket of tls) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One HTTP/2 session (one TLS connection) to `origin`, trusting `cert`. */
export function connectHttp2(origin, cert) {
  const session = http2.connect(origin, { ca: cert });
  session.on('error', () => {});
  return {
    session,
    /** A request answered in full: status, headers, body text. */
    request(headers, body) {
      return new Promise((resolve, reject) => {
        const stream = session.request(headers);
        let response;
        let text = '';
        stream.setEncoding('utf8');
        stream.on('response', (h) => (response = h));
        stream.on('data', (chunk) => (text += chunk));
        stream.on('end', () =>
          resolve({ status: response?.[':status'], headers: response, text, stream }),
        );
        stream.on('error', reject);
        stream.end(body);
      });
    },
    /** An SSE stream on this session: `events()` fills as frames arrive. */
    sse(path, headers = {}) {
      return new Promise((resolve, reject) => {
        const stream = session.request({ ':path': path, accept: 'text/event-stream', ...headers });
        const sse = { stream, text: '', closed: false };
        sse.records = () => sseRecords(sse.text);
        sse.events = () =>
          sse.records().filter((r) => r.data !== undefined && r.event !== 'cursor');
        sse.close = () => stream.close(http2.constants.NGHTTP2_CANCEL);
        stream.setEncoding('utf8');
        stream.on('data', (chunk) => (sse.text += chunk));
        stream.on('close', () => (sse.closed = true));
        stream.on('error', () => {});
        stream.once('response', (h) => {
          sse.status = h[':status'];
          sse.headers = h;
          resolve(sse);
        });
        stream.once('error', reject);
      });
    },
    close: () => new Promise((resolve) => session.close(resolve)),
  };
}

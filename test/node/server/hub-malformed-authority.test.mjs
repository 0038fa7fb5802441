// A request whose authority the WHATWG URL parser refuses (`:authority` on HTTP/2, `Host` or an
// absolute-form target on HTTP/1.1) threw `Invalid URL` out of `handleRequest` /
// `handleUpgrade`: one such request from anyone was an uncaught exception that stopped the hub
// process. nghttp2 passes every RFC 3986 authority character (`%`, `[`, `]`, `@`, `:`), and
// llhttp passes any header text, so these reach the hub as they are.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { createHub } from '../../../dist/server/index.js';
import { connectHttp2, startHttp2Hub } from './http2-helpers.mjs';

const badAuthorities = ['a%zz', '[zz', '[::1', 'a]b', 'x:abc', 'x:99999'];

/** One raw HTTP/1.1 request; resolves with its status line (empty when the socket just closed). */
function rawRequest(port, head) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\r\n')) {
        socket.destroy();
        resolve(text.split('\r\n')[0]);
      }
    });
    socket.on('close', () => resolve(text.split('\r\n')[0]));
    socket.on('error', reject);
    socket.write(head);
  });
}

describe('hub: a malformed authority is answered, never thrown', () => {
  const uncaught = [];
  const onUncaught = (error) => uncaught.push(error);
  before(() => process.on('uncaughtException', onUncaught));
  after(() => process.off('uncaughtException', onUncaught));

  test('HTTP/2 :authority the URL parser refuses: answered, the origin check refuses an Origin', async () => {
    const h = await startHttp2Hub();
    const client = connectHttp2(h.origin, h.cert);
    try {
      for (const authority of badAuthorities) {
        const plain = await client.request({
          ':path': h.path('/poll?topic=t&timeout=0'),
          ':authority': authority,
        });
        assert.equal(plain.status, 200, `${authority}: ${plain.text}`);
        const withOrigin = await client.request(
          {
            ':method': 'POST',
            ':path': h.path('/publish?topic=t'),
            ':authority': authority,
            origin: h.origin,
            'content-type': 'application/json',
          },
          '{"n":1}',
        );
        assert.equal(withOrigin.status, 403, `${authority}: ${withOrigin.text}`);
        assert.equal(JSON.parse(withOrigin.text).error, 'forbidden-origin');
      }
      const doubleSlash = await client.request({ ':path': '//a%zz' + h.path('/poll?topic=t') });
      assert.equal(doubleSlash.status, 404, 'an origin-form :path starting with //');
      assert.deepEqual(uncaught.map(String), []);
      const good = await client.request({ ':path': h.path('/poll?topic=t&timeout=0') });
      assert.equal(good.status, 200);
    } finally {
      await client.close();
      await h.close();
    }
  });

  test('HTTP/1.1 Host or absolute-form target the URL parser refuses: answered, upgrades too', async () => {
    const hub = createHub();
    const server = http.createServer((req, res) => {
      if (!hub.handleRequest(req, res)) res.writeHead(404).end();
    });
    server.on('upgrade', (req, socket, head) => {
      if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address();
    try {
      for (const host of ['a b', ...badAuthorities]) {
        const status = await rawRequest(
          port,
          `GET /realtime/poll?topic=t&timeout=0 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        assert.match(status, /^HTTP\/1\.1 200 /, `Host ${host}`);
      }
      const absolute = await rawRequest(
        port,
        'GET http://a%zz/realtime/poll?topic=t&timeout=0 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      assert.match(absolute, /^HTTP\/1\.1 200 /, 'absolute-form target: read by its path');
      // Origin-form `//host/path` is a path (RFC 9112 § 3.2.1), not a protocol-relative URL.
      const doubleSlash = await rawRequest(
        port,
        'GET //a%zz/realtime/poll?topic=t&timeout=0 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      assert.match(doubleSlash, /^HTTP\/1\.1 404 /, '//a%zz/realtime/poll is not a hub path');
      const upgrade = await rawRequest(
        port,
        'GET /realtime/ws HTTP/1.1\r\nHost: a%zz\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      assert.match(upgrade, /^HTTP\/1\.1 101 /, 'a WebSocket upgrade with a bad Host (no Origin)');
      assert.deepEqual(uncaught.map(String), []);
    } finally {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

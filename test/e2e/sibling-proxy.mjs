/**
 * An HTTP proxy on loopback that sends every `*.example.test` request to 127.0.0.1 on the same
 * port: sibling host names for engines that cannot map host names themselves (WebKitGTK has no
 * --host-resolver-rules; MiniBrowser takes --proxy). Plain requests, WebSocket upgrades and
 * CONNECT tunnels; any other host is refused, so a test can never reach the outside.
 */
import { createServer, request } from 'node:http';
import { connect } from 'node:net';

const target = (host) => {
  const [name, port] = host.split(':');
  return /(^|\.)example\.test$/i.test(name) || name === 'localhost' || name === '127.0.0.1'
    ? { host: '127.0.0.1', port: Number(port) || 80 }
    : undefined;
};

export async function startSiblingProxy() {
  const server = createServer((req, res) => {
    let url;
    try {
      url = new URL(req.url);
    } catch {
      return res.writeHead(400).end();
    }
    const to = target(url.host);
    if (!to) return res.writeHead(403).end('only *.example.test');
    const upstream = request(
      { ...to, method: req.method, path: url.pathname + url.search, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const tunnel = (client, to, head, first) => {
    const socket = connect(to.port, to.host, () => {
      socket.write(first);
      if (head?.length) socket.write(head);
      socket.pipe(client).pipe(socket);
    });
    socket.on('error', () => client.destroy());
    client.on('error', () => socket.destroy());
  };
  server.on('connect', (req, client, head) => {
    const to = target(req.url);
    if (!to) return client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    tunnel(client, to, head, '');
  });
  server.on('upgrade', (req, client, head) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const to = target(url.host);
    if (!to) return client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    let raw = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    tunnel(client, to, head, `${raw}\r\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return server;
}

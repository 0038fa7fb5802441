// Real hubs on random loopback ports, and small real clients for them.
import { createServer, get, request } from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import { createHub } from '../../../dist/server/index.js';

export async function startHub(options = {}) {
  const hub = createHub(options);
  const server = createServer((req, res) => {
    if (!hub.handleRequest(req, res)) res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    hub,
    server,
    origin,
    url: (path) => `${origin}${hub.options.basePath}${path}`,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Parses an SSE byte stream into {id, event, data} records (comments and retry kept apart). */
export function sseRecords(text) {
  const records = [];
  for (const block of text.split('\n\n')) {
    if (!block.trim()) continue;
    const record = { comments: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) record.comments.push(line.slice(1).trim());
      else {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        record[field] = record[field] === undefined ? value : `${record[field]}\n${value}`;
      }
    }
    records.push(record);
  }
  return records;
}

/** A raw SSE connection: `events` fills as frames arrive. */
export function openSse(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent: false }, (res) => {
      const stream = { res, req, text: '', status: res.statusCode, headers: res.headers };
      stream.records = () => sseRecords(stream.text);
      // Published events only: the hub's cursor event is control data.
      stream.events = () =>
        stream.records().filter((r) => r.data !== undefined && r.event !== 'cursor');
      stream.close = () => req.destroy();
      res.setEncoding('utf8');
      res.on('data', (chunk) => (stream.text += chunk));
      res.on('error', () => {});
      resolve(stream);
    });
    req.on('error', reject);
  });
}

export async function until(predicate, timeout = 15_000, what = 'condition') {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A `ws` client that records every frame it receives. */
export async function openWs(url, options = {}) {
  const socket = new WebSocket(url, options);
  const frames = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('error', () => {});
  await once(socket, 'open');
  return {
    socket,
    frames,
    closed,
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    of: (type) => frames.filter((frame) => frame.type === type),
  };
}

export function httpJson(url, { method = 'GET', body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: { 'content-type': 'application/json', ...headers }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    );
  });
}

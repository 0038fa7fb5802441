/**
 * Single-hub capacity: the hub in one process (bench/servers.mjs), clients here. SSE: 10,000
 * concurrent connections, memory per connection, fan-out latency to 1,000 and 10,000
 * subscribers, events/s — against a raw node:http SSE loop and better-sse on the same work.
 * WebSocket: relay messages/s and latency against a bare `ws` broadcast loop.
 *
 * Latency is end to end on one clock (this process's): from the publish request to the
 * moment a subscriber's socket delivered the event here.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { median, percentile } from './stats.mjs';

const RUNS = 5;
const SIZES = [1000, 10_000];
const BURST = 200;
const WS_CLIENTS = 1000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function startServer(kind) {
  const child = spawn(
    'bash',
    ['-c', `ulimit -n 20000 2>/dev/null; exec node --expose-gc bench/servers.mjs ${kind}`],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const port = /PORT (\d+)/.exec(String(chunk))?.[1];
      if (port) resolve({ child, port: Number(port) });
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

const get = (port, path, method = 'GET') =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });

const publish = (port, count) => get(port, `/__publish?count=${count}&t=${now()}`, 'POST');
const rss = async (port) => JSON.parse(await get(port, '/__stats')).rss;

/** An SSE subscriber that only counts events and notes when the latest one arrived. */
function subscribe(port, path) {
  return new Promise((resolve, reject) => {
    const subscriber = { count: 0, at: 0, t: 0, request: undefined };
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`status ${response.statusCode}`));
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        const at = now();
        for (const match of chunk.matchAll(/"t":([\d.]+)/g)) {
          subscriber.count++;
          subscriber.at = at;
          subscriber.t = Number(match[1]);
        }
      });
      resolve(subscriber);
    });
    subscriber.request = req;
    req.on('error', reject);
    req.end();
  });
}

async function connectMany(port, path, total, into) {
  while (into.length < total) {
    const batch = Math.min(500, total - into.length);
    into.push(...(await Promise.all(Array.from({ length: batch }, () => subscribe(port, path)))));
  }
}

/** Resolves once every subscriber has `more` events beyond what it had when called. */
function expecting(subscribers, more) {
  const targets = subscribers.map((s) => s.count + more);
  return async (timeout = 60_000) => {
    const end = Date.now() + timeout;
    const short = () => subscribers.filter((s, i) => s.count < targets[i]).length;
    while (short()) {
      if (Date.now() > end) throw new Error(`${short()} subscribers missed events`);
      await sleep(2);
    }
  };
}

async function sseServer(kind, log) {
  const { child, port } = await startServer(kind);
  const path = kind.startsWith('hub') ? '/realtime/sse?topic=bench' : '/sse';
  const subscribers = [];
  const result = { kind, fanout: {} };
  try {
    const baseline = await rss(port);
    for (const size of SIZES) {
      log(`hub capacity: ${kind}, connecting ${size} SSE subscribers`);
      await connectMany(port, path, size, subscribers);
      await sleep(500);
      const p50s = [];
      const p99s = [];
      for (let run = 0; run < RUNS; run++) {
        const arrived = expecting(subscribers, 1);
        await publish(port, 1);
        await arrived();
        const latencies = subscribers.map((s) => s.at - s.t);
        p50s.push(percentile(latencies, 0.5));
        p99s.push(percentile(latencies, 0.99));
      }
      result.fanout[size] = { p50: median(p50s), p99: median(p99s) };
      if (size === SIZES[0]) {
        const rates = [];
        for (let run = 0; run < RUNS; run++) {
          const arrived = expecting(subscribers, BURST);
          const start = now();
          await publish(port, BURST);
          await arrived();
          const seconds = (Math.max(...subscribers.map((s) => s.at)) - start) / 1000;
          rates.push(BURST / seconds);
        }
        result.eventsPerSecond = median(rates);
        result.eventsSpread = [Math.min(...rates), Math.max(...rates)];
      }
    }
    result.held = subscribers.filter((s) => s.count > 0).length;
    result.bytesPerConnection = ((await rss(port)) - baseline) / subscribers.length;
  } finally {
    for (const s of subscribers) s.request.destroy();
    child.kill();
  }
  return result;
}

function wsClient(port, path, hub) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const client = { socket, count: 0, at: 0, t: 0 };
    socket.on('error', reject);
    socket.on('message', (data) => {
      const text = String(data);
      if (hub && text.includes('"subscribed"')) return resolve(client);
      const match = /"t":([\d.]+)/.exec(text);
      if (!match) return;
      client.count++;
      client.at = now();
      client.t = Number(match[1]);
    });
    socket.on('open', () => {
      if (!hub) return resolve(client);
      socket.send(JSON.stringify({ type: 'subscribe', topics: ['bench'] }));
    });
  });
}

export async function wsServer(kind, log) {
  const { child, port } = await startServer(kind);
  const hub = kind === 'hub';
  const path = hub ? '/realtime/ws' : '/';
  const clients = [];
  try {
    log(`hub capacity: ${kind}, ${WS_CLIENTS} WebSocket clients`);
    while (clients.length < WS_CLIENTS) {
      clients.push(
        ...(await Promise.all(Array.from({ length: 250 }, () => wsClient(port, path, hub)))),
      );
    }
    const publisher = await wsClient(port, path, false);
    // As `<socket-relay>` publishes: every send has a message id (checked against the hub's
    // de-duplication window).
    let msg = 0;
    const send = (i) => {
      const data = { i, t: now() };
      const frame = { type: 'publish', topic: 'bench', data, msg: String(++msg) };
      publisher.socket.send(JSON.stringify(hub ? frame : data));
    };
    const rates = [];
    const p50s = [];
    const p99s = [];
    for (let run = 0; run < RUNS; run++) {
      let arrived = expecting(clients, BURST);
      const start = now();
      for (let i = 0; i < BURST; i++) send(i);
      await arrived();
      rates.push(
        (BURST * clients.length) / ((Math.max(...clients.map((c) => c.at)) - start) / 1000),
      );
      arrived = expecting(clients, 1);
      send(-1);
      await arrived();
      const latencies = clients.map((c) => c.at - c.t);
      p50s.push(percentile(latencies, 0.5));
      p99s.push(percentile(latencies, 0.99));
    }
    publisher.socket.terminate();
    return {
      kind,
      deliveriesPerSecond: median(rates),
      spread: [Math.min(...rates), Math.max(...rates)],
      p50: median(p50s),
      p99: median(p99s),
    };
  } finally {
    for (const c of clients) c.socket.terminate();
    child.kill();
  }
}

export async function hubCapacity({ log = console.error } = {}) {
  const sse = [];
  for (const kind of ['hub', 'hub-history', 'raw', 'better-sse'])
    sse.push(await sseServer(kind, log));
  const ws = [];
  for (const kind of ['hub', 'bare-ws']) ws.push(await wsServer(kind, log));
  return { runs: RUNS, sizes: SIZES, burst: BURST, wsClients: WS_CLIENTS, sse, ws };
}

/** `node bench/hub-capacity.mjs sse hub hub-history raw`: only these SSE rows, as JSON on stdout. */
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'sse') {
  const sse = [];
  for (const kind of process.argv.slice(3)) sse.push(await sseServer(kind, console.error));
  console.log(JSON.stringify({ runs: RUNS, sizes: SIZES, burst: BURST, sse }, null, 2));
}

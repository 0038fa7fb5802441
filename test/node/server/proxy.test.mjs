// The README's "Behind a proxy" nginx configuration, run as written (only the ports changed) in
// front of a real hub: SSE streams event by event, resumes with Last-Event-ID, survives idle
// time longer than nginx's read timeout thanks to the hub's keep-alives; WebSocket upgrades;
// long-poll and publish pass; a page's Origin still matches the Host the hub sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpJson, openSse, openWs, startHub, until } from './hub-helpers.mjs';
import { freePort } from '../free-port.mjs';

// scripts/test.mjs installs nginx (Debian's nginx-light) when it is missing.
const nginxBinary = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim();
  } catch {
    return '/usr/sbin/nginx';
  }
})();

/** The first ```nginx block of the README's "Behind a proxy" section. */
function readmeNginxConfig() {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Behind a proxy'));
  const block = /```nginx\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'README has a ```nginx block under "### Behind a proxy"');
  return block[1];
}

let hub;
let nginx;
let dir;
let origin;
const readTimeout = 2; // s: shorter than the idle time below, longer than the keep-alive

before(async () => {
  hub = await startHub({ keepAliveInterval: 500 });
  const port = await freePort();
  const hubPort = new URL(hub.origin).port;
  const site = readmeNginxConfig()
    .replace(/listen\s+80;/, `listen 127.0.0.1:${port};`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${hubPort}`)
    // The README's hour would make the idle check below take an hour.
    .replace(/proxy_read_timeout\s+[^;]+;/, `proxy_read_timeout ${readTimeout}s;`);
  assert.ok(site.includes(`127.0.0.1:${port}`), 'the README block listens on port 80');
  dir = mkdtempSync(join(tmpdir(), 'rt-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid ${dir}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`,
  );
  nginx = spawn(nginxBinary, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  nginx.stderr.on('data', (chunk) => (stderr += chunk));
  origin = `http://127.0.0.1:${port}`;
  await until(
    async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
      return fetch(`${origin}/realtime/poll?topic=up`).then(
        (res) => res.status === 200,
        () => false,
      );
    },
    10_000,
    'nginx to answer',
  );
});

after(async () => {
  nginx?.kill('SIGTERM');
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const publish = (topic, data) =>
  httpJson(`${origin}/realtime/publish?topic=${topic}`, { method: 'POST', body: data });

test('SSE through nginx: each event arrives while the stream stays open, and resumes from Last-Event-ID', async () => {
  const stream = await openSse(`${origin}/realtime/sse?topic=px`, {
    origin, // a page served by the same proxy: Host must reach the hub with its port
  });
  assert.equal(stream.status, 200);
  await until(() => stream.records().some((r) => r.event === 'cursor'), 15_000, 'cursor');
  for (let n = 1; n <= 3; n++) {
    assert.equal((await publish('px', { n })).status, 200);
    // One at a time: a buffering proxy would hold these small events back.
    await until(() => stream.events().length === n, 15_000, `event ${n} through the proxy`);
  }
  const lastId = stream.events().at(-1).id;
  stream.close();
  await publish('px', { n: 4 });
  const resumed = await openSse(`${origin}/realtime/sse?topic=px`, { 'last-event-id': lastId });
  await until(() => resumed.events().length === 1, 15_000, 'the missed event');
  assert.deepEqual(JSON.parse(resumed.events()[0].data), { n: 4 });
  resumed.close();
});

test('an idle SSE stream outlives nginx read timeout through the hub keep-alives', async () => {
  const stream = await openSse(`${origin}/realtime/sse?topic=idle`);
  let ended = false;
  stream.res.on('end', () => (ended = true));
  stream.res.on('close', () => (ended = true));
  // Idle for twice nginx's read timeout, then one more event must still arrive.
  await new Promise((resolve) => setTimeout(resolve, readTimeout * 2 * 1000));
  assert.equal(ended, false, 'the stream was cut while idle');
  await publish('idle', { late: true });
  await until(() => stream.events().length === 1, 15_000, 'the event after idling');
  stream.close();
});

test('WebSocket relay and long-poll through nginx', async () => {
  const client = await openWs(`${origin.replace('http', 'ws')}/realtime/ws`, {
    headers: { origin },
  });
  client.send({ type: 'subscribe', topics: ['pw'] });
  await until(() => client.of('subscribed').length === 1, 15_000, 'subscribed');
  const since = (await httpJson(`${origin}/realtime/poll?topic=pw`)).body.cursor;
  const held = httpJson(`${origin}/realtime/poll?topic=pw&since=${since}&timeout=5000`);
  assert.equal((await publish('pw', { hello: 'proxy' })).status, 200);
  await until(() => client.of('message').length === 1, 15_000, 'the WebSocket message');
  assert.deepEqual(client.of('message')[0].data, { hello: 'proxy' });
  const polled = await held;
  assert.deepEqual(
    polled.body.events.map((event) => event.data),
    [{ hello: 'proxy' }],
  );
  client.socket.close();
});

/**
 * Ten real Chromium tabs showing one `<sse-feed>` (from the CDN file) against the hub over
 * HTTP/1.1, with and without `shared`: server connections, tabs that receive every event,
 * hub-process CPU and the tabs' main-thread time while 500 events are published at 100/s.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import { createHub } from '../dist/server/index.js';
import { chromeArgs, findChrome } from '../scripts/find-chrome.mjs';
import { median } from './stats.mjs';

const TABS = 10;
const EVENTS = 500;
const RATE = 100;
const RUNS = 5;
const root = resolve('.');
const types = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

const page = (shared) => `<!doctype html>
<script type="module" src="/dist/cdn/sse-feed.js"></script>
<sse-feed src="/realtime/sse?topic=bench" type="json" ${shared ? 'shared' : ''}></sse-feed>
<script type="module">
  window.count = 0;
  document.querySelector('sse-feed').addEventListener('message', () => window.count++);
</script>`;

/** A tab that never loaded answers nothing: give up after a while. */
const within = (promise, fallback, ms = 2000) =>
  Promise.race([
    promise.catch(() => fallback),
    new Promise((done) => setTimeout(done, ms, fallback)),
  ]);

async function run(browser, shared) {
  const hub = createHub();
  const server = createServer(async (request, response) => {
    if (hub.handleRequest(request, response)) return;
    const url = new URL(request.url, 'http://x');
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html' });
      return response.end(page(shared));
    }
    try {
      const body = await readFile(join(root, url.pathname));
      response.writeHead(200, { 'content-type': types[extname(url.pathname)] ?? 'text/plain' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const context = await browser.createBrowserContext();
  const tabs = [];
  for (let i = 0; i < TABS; i++) {
    const tab = await context.newPage();
    // Without `shared`, the seventh tab cannot even load: six SSE streams hold every HTTP/1.1
    // connection Chromium allows per origin.
    const loaded = await tab.goto(`${origin}/`, { timeout: 3000 }).then(
      () => true,
      () => false,
    );
    if (loaded) tabs.push(tab);
  }
  await new Promise((done) => setTimeout(done, 2000));
  const loaded = tabs.length;
  const connections = hub.stats().sse;
  const open = (
    await Promise.all(
      tabs.map((tab) => tab.evaluate(() => document.querySelector('sse-feed').state)),
    )
  ).filter((state) => state === 'open').length;
  const taskTime = async () =>
    (await Promise.all(tabs.map((tab) => tab.metrics()))).reduce(
      (sum, m) => sum + m.TaskDuration,
      0,
    );
  const tasksBefore = await taskTime();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < EVENTS; i++) {
    await hub.publish('bench', { i });
    await new Promise((done) => setTimeout(done, 1000 / RATE));
  }
  await new Promise((done) => setTimeout(done, 1000));
  const cpu = process.cpuUsage(cpuBefore);
  const tasks = (await taskTime()) - tasksBefore;
  const counts = await Promise.all(
    tabs.map((tab) =>
      within(
        tab.evaluate(() => window.count),
        0,
      ),
    ),
  );
  await context.close();
  await hub.close();
  server.close();
  return {
    loaded,
    connections,
    open,
    complete: counts.filter((count) => count === EVENTS).length,
    serverCpuMs: (cpu.user + cpu.system) / 1000,
    tabsTaskMs: tasks * 1000,
  };
}

export async function sharedTabs() {
  const browser = await puppeteer.launch({
    executablePath: findChrome(),
    headless: true,
    args: chromeArgs,
    protocolTimeout: 20_000,
  });
  const rows = [];
  try {
    for (const shared of [false, true]) {
      const runs = [];
      for (let r = 0; r < RUNS; r++) {
        console.error(`shared tabs: ${shared ? 'shared' : 'not shared'}, run ${r + 1}/${RUNS}`);
        runs.push(await run(browser, shared));
      }
      const pick = (key) => runs.map((result) => result[key]);
      rows.push({
        shared,
        loaded: median(pick('loaded')),
        connections: median(pick('connections')),
        open: median(pick('open')),
        complete: median(pick('complete')),
        serverCpuMs: median(pick('serverCpuMs')),
        serverCpuSpread: [Math.min(...pick('serverCpuMs')), Math.max(...pick('serverCpuMs'))],
        tabsTaskMs: median(pick('tabsTaskMs')),
        tabsTaskSpread: [Math.min(...pick('tabsTaskMs')), Math.max(...pick('tabsTaskMs'))],
      });
    }
  } finally {
    await browser.close();
  }
  return { tabs: TABS, events: EVENTS, rate: RATE, runs: RUNS, rows };
}

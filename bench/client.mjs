/**
 * Client benchmarks in real Chromium: each element against its raw browser API and the peer
 * libraries on the same work (two real tabs, or a tab and its popup, where the mechanism is
 * cross-tab), and memory after 10,000 mount/unmount cycles per element.
 *
 * Throughput: N messages sent as fast as the sender can, timed from the first send to the last
 * delivery in the receiving tab. Latency: 300 messages 3 ms apart, each carrying its send time
 * (`performance.timeOrigin + performance.now()`, comparable across tabs and with Node).
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import puppeteer from 'puppeteer-core';
import { createHub } from '../dist/server/index.js';
import { chromeArgs, findChrome } from '../scripts/find-chrome.mjs';
import { peerUrl } from './bundles.mjs';
import { median, percentile } from './stats.mjs';

const N = 20_000;
const LATENCY_MESSAGES = 300;
const CYCLES = Number(process.env.BENCH_CYCLES) || 10_000;
const root = resolve('.');
const types = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };
const now = () => performance.timeOrigin + performance.now();

const helper = `window.bench = {
  count: 0, first: 0, last: 0, lat: [],
  now: () => performance.timeOrigin + performance.now(),
  got(message) {
    const at = bench.now();
    if (!bench.count++) bench.first = at;
    bench.last = at;
    if (message && message.t) bench.lat.push(at - message.t);
  },
  reset() { bench.count = 0; bench.lat = []; },
};`;

const element = (tag, attributes, listen) => `
  await import('/dist/cdn/${tag}.js');
  const el = document.createElement('${tag}');
  ${Object.entries(attributes)
    .map(([name, value]) => `el.setAttribute(${JSON.stringify(name)}, ${JSON.stringify(value)});`)
    .join('\n')}
  ${listen ? `el.addEventListener('${listen}', (event) => bench.got(event.${listen === 'valuechange' ? 'value' : 'data'}));` : ''}
  document.body.append(el);
  window.el = el;
  await new Promise((resolve) => el.state === 'open' ? resolve() : el.addEventListener('open', resolve, { once: true }));
`;

/** Every case: the mechanism (group), what runs it (raw API, our element, a peer), and the code. */
export const cases = [
  // --- tab ⇄ tab ---
  {
    group: 'tab-channel',
    role: 'raw',
    name: 'BroadcastChannel',
    pages: 'tabs',
    receiver: `const ch = new BroadcastChannel('bench'); ch.onmessage = (e) => bench.got(e.data);`,
    sender: `const ch = new BroadcastChannel('bench'); window.send = (m) => ch.postMessage(m);`,
  },
  {
    group: 'tab-channel',
    role: 'element',
    name: '<tab-channel>',
    pages: 'tabs',
    receiver: element('tab-channel', { name: 'bench' }, 'message'),
    sender: `${element('tab-channel', { name: 'bench' })} window.send = (m) => el.post(m);`,
  },
  {
    group: 'tab-channel',
    role: 'peer',
    name: 'broadcast-channel',
    pages: 'tabs',
    receiver: `const { BroadcastChannel: BC } = await import('${peerUrl('broadcast-channel')}');
      const ch = new BC('bench'); ch.onmessage = (m) => bench.got(m);`,
    sender: `const { BroadcastChannel: BC } = await import('${peerUrl('broadcast-channel')}');
      const ch = new BC('bench'); window.send = (m) => ch.postMessage(m);`,
  },
  {
    group: 'storage-sync',
    role: 'raw',
    name: 'localStorage + storage event',
    pages: 'tabs',
    receiver: `addEventListener('storage', (e) => e.key === 'bench' && bench.got(JSON.parse(e.newValue)));`,
    sender: `window.send = (m) => localStorage.setItem('bench', JSON.stringify(m));`,
  },
  {
    group: 'storage-sync',
    role: 'element',
    name: '<storage-sync>',
    pages: 'tabs',
    receiver: element('storage-sync', { key: 'bench' }, 'valuechange'),
    sender: `${element('storage-sync', { key: 'bench' })} window.send = (m) => (el.value = m);`,
  },
  // --- window ⇄ popup ---
  {
    group: 'popup-bridge',
    role: 'raw',
    name: 'window.open + postMessage',
    pages: 'popup',
    opener: `window.popup = window.open('/bench/blank.html', 'bench');`,
    receiver: `addEventListener('message', (e) => e.source === opener && bench.got(e.data));`,
    sender: `window.send = (m) => popup.postMessage(m, location.origin);`,
  },
  {
    group: 'popup-bridge',
    role: 'element',
    name: '<popup-bridge>',
    pages: 'popup',
    opener: `await import('/dist/cdn/popup-bridge.js');
      const el = document.createElement('popup-bridge');
      el.src = '/bench/blank.html'; el.name = 'bench';
      document.body.append(el); await el.updateComplete; el.open(); window.el = el;`,
    receiver: `await import('/dist/cdn/popup-bridge.js');
      const el = document.createElement('popup-bridge');
      el.addEventListener('message', (e) => bench.got(e.data));
      document.body.append(el);`,
    sender: `await new Promise((resolve) => el.state === 'open' ? resolve() : el.addEventListener('open', resolve, { once: true }));
      window.send = (m) => el.post(m);`,
  },
  {
    group: 'popup-bridge',
    role: 'peer',
    name: 'penpal',
    pages: 'popup',
    opener: `window.popup = window.open('/bench/blank.html', 'bench');`,
    receiver: `const { connect, WindowMessenger } = await import('${peerUrl('penpal')}');
      connect({ messenger: new WindowMessenger({ remoteWindow: opener, allowedOrigins: [location.origin] }),
        methods: { receive: (m) => bench.got(m) } });`,
    sender: `const { connect, WindowMessenger } = await import('${peerUrl('penpal')}');
      const remote = await connect({ messenger: new WindowMessenger({ remoteWindow: popup, allowedOrigins: [location.origin] }) }).promise;
      window.send = (m) => remote.receive(m);`,
  },
  // --- tab → service worker → tabs ---
  {
    group: 'sw-relay',
    role: 'raw',
    name: 'bare relay worker',
    pages: 'tabs',
    receiver: `await navigator.serviceWorker.register('/bench/bare-relay-worker.js', { scope: '/bench/' });
      navigator.serviceWorker.onmessage = (e) => bench.got(e.data);`,
    sender: `const registration = await navigator.serviceWorker.register('/bench/bare-relay-worker.js', { scope: '/bench/' });
      await navigator.serviceWorker.ready;
      window.send = (m) => registration.active.postMessage(m);`,
  },
  {
    group: 'sw-relay',
    role: 'element',
    name: '<sw-relay>',
    pages: 'tabs',
    receiver: element('sw-relay', { name: 'bench', src: '/dist/sw-relay-worker.js' }, 'message'),
    sender: `${element('sw-relay', { name: 'bench', src: '/dist/sw-relay-worker.js' })} window.send = (m) => el.post(m);`,
  },
  // --- server → tab ---
  {
    group: 'sse-feed',
    role: 'raw',
    name: 'EventSource',
    pages: 'sse',
    receiver: `const es = new EventSource('/realtime/sse?topic=TOPIC');
      es.addEventListener('TOPIC', (e) => bench.got(JSON.parse(e.data)));
      await new Promise((resolve) => (es.onopen = resolve));`,
  },
  {
    group: 'sse-feed',
    role: 'element',
    name: '<sse-feed mode="fetch">',
    pages: 'sse',
    receiver: element(
      'sse-feed',
      { src: '/realtime/sse?topic=TOPIC', mode: 'fetch', type: 'json' },
      'message',
    ),
  },
  {
    group: 'sse-feed',
    role: 'element',
    name: '<sse-feed mode="native">',
    pages: 'sse',
    receiver: element(
      'sse-feed',
      { src: '/realtime/sse?topic=TOPIC', mode: 'native', type: 'json', events: 'TOPIC' },
      'message',
    ),
  },
  {
    group: 'sse-feed',
    role: 'peer',
    name: '@microsoft/fetch-event-source',
    pages: 'sse',
    receiver: `const { fetchEventSource } = await import('${peerUrl('@microsoft/fetch-event-source')}');
      await new Promise((resolve) => fetchEventSource('/realtime/sse?topic=TOPIC', {
        openWhenHidden: true,
        onopen: async () => resolve(),
        onmessage: (e) => e.event === 'TOPIC' && bench.got(JSON.parse(e.data)),
      }));`,
  },
  {
    group: 'socket-relay',
    role: 'raw',
    name: 'WebSocket',
    pages: 'ws',
    receiver: wsReceiver('new WebSocket(url)'),
  },
  {
    group: 'socket-relay',
    role: 'element',
    name: '<socket-relay>',
    pages: 'ws',
    receiver: element('socket-relay', { src: '/realtime/ws', topic: 'TOPIC' }, 'message'),
  },
  {
    group: 'socket-relay',
    role: 'peer',
    name: 'reconnecting-websocket',
    pages: 'ws',
    receiver: `const { default: RWS } = await import('${peerUrl('reconnecting-websocket')}');
      ${wsReceiver('new RWS(url)')}`,
  },
  {
    group: 'socket-relay',
    role: 'peer',
    name: 'partysocket',
    pages: 'ws',
    receiver: `const { WebSocket: PartySocket } = await import('${peerUrl('partysocket')}');
      ${wsReceiver('new PartySocket(url)')}`,
  },
];

/** The hub's WebSocket protocol spoken by hand over a WebSocket-like object. */
function wsReceiver(create) {
  return `const url = 'ws://' + location.host + '/realtime/ws';
    const ws = ${create};
    await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
    ws.addEventListener('message', (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'message') bench.got(frame.data);
    });
    ws.send(JSON.stringify({ type: 'subscribe', topics: ['TOPIC'] }));
    await new Promise((resolve) => setTimeout(resolve, 200));`;
}

function startServer() {
  // The publish loop writes every event before the first is read: the slow-reader limit (a
  // policy, 1 MB by default) is raised so it does not cut the stream being measured.
  const hub = createHub({ maxBufferedBytes: 64 << 20 });
  const server = createServer(async (request, response) => {
    if (hub.handleRequest(request, response)) return;
    const path = new URL(request.url, 'http://x').pathname;
    try {
      const body = await readFile(join(root, path));
      response.writeHead(200, {
        'content-type': types[extname(path)] ?? 'text/plain',
        'cache-control': 'no-store',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  server.on('upgrade', (request, socket, head) => {
    if (!hub.handleUpgrade(request, socket, head)) socket.destroy();
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () =>
      done({ hub, server, origin: `http://127.0.0.1:${server.address().port}` }),
    ),
  );
}

async function page(context, origin) {
  const tab = await context.newPage();
  await tab.goto(`${origin}/bench/blank.html`);
  await tab.evaluate(helper);
  return tab;
}

const run = (tab, code) => tab.evaluate(`(async () => { ${code} })()`);
async function waitCount(tab, count, what) {
  try {
    await tab.waitForFunction(
      (n) => window.bench.count >= n,
      { timeout: 30_000, polling: 20 },
      count,
    );
  } catch (error) {
    const got = await tab.evaluate(() => window.bench.count).catch(() => '?');
    throw new Error(`${what}: ${got} of ${count} messages arrived`, { cause: error });
  }
}

/** One run of a case: throughput (messages/s) and latency (p50, p99 in ms). */
async function measure(browser, { hub, origin }, spec, runIndex) {
  const context = await browser.createBrowserContext();
  const topic = `bench${runIndex}${Math.random().toString(36).slice(2, 8)}`;
  const code = (text) => text?.replaceAll('TOPIC', topic);
  try {
    let sender;
    let receiver;
    if (spec.pages === 'tabs') {
      receiver = await page(context, origin);
      sender = await page(context, origin);
      await run(receiver, code(spec.receiver));
      await run(sender, code(spec.sender));
    } else if (spec.pages === 'popup') {
      sender = await page(context, origin);
      const popupTarget = context.waitForTarget((target) => target.opener() !== undefined);
      await run(sender, code(spec.opener));
      receiver = await (await popupTarget).page();
      await receiver.waitForFunction(() => document.readyState === 'complete');
      await receiver.evaluate(helper);
      await run(receiver, code(spec.receiver));
      await run(sender, code(spec.sender));
    } else {
      receiver = await page(context, origin);
      await run(receiver, code(spec.receiver));
    }
    await new Promise((done) => setTimeout(done, 200));

    // Throughput
    let start;
    if (sender) {
      start = await sender.evaluate((n) => {
        const begin = window.bench.now();
        for (let i = 0; i < n; i++) window.send({ i });
        return begin;
      }, N);
    } else {
      start = now();
      for (let i = 0; i < N; i++) await hub.publish(topic, { i });
    }
    await waitCount(receiver, N, `${spec.name} throughput`);
    const last = await receiver.evaluate(() => window.bench.last);
    const throughput = N / ((last - start) / 1000);

    // Latency
    await receiver.evaluate(() => window.bench.reset());
    if (sender) {
      await sender.evaluate(async (n) => {
        for (let i = 0; i < n; i++) {
          window.send({ i, t: window.bench.now() });
          await new Promise((done) => setTimeout(done, 3));
        }
      }, LATENCY_MESSAGES);
    } else {
      for (let i = 0; i < LATENCY_MESSAGES; i++) {
        await hub.publish(topic, { i, t: now() });
        await new Promise((done) => setTimeout(done, 3));
      }
    }
    await waitCount(receiver, LATENCY_MESSAGES, `${spec.name} latency`);
    const latencies = await receiver.evaluate(() => window.bench.lat);
    return { throughput, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
  } finally {
    await context.close();
  }
}

/** Attributes that make each element do its real work while mounted. */
const mountAttributes = {
  'tab-channel': { name: 'mem' },
  'storage-sync': { key: 'mem' },
  'popup-bridge': {},
  'sw-relay': { name: 'mem', src: '/dist/sw-relay-worker.js' },
  'sse-feed': { src: '/realtime/sse?topic=mem' },
  'socket-relay': { src: '/realtime/ws', topic: 'mem' },
  'poll-feed': { src: '/realtime/poll?topic=mem', long: '' },
};

/** Counts live timers in the page: installed before any of its scripts run. */
const timerTracker = `(() => {
  const live = new Set();
  const { setTimeout: st, clearTimeout: ct, setInterval: si, clearInterval: ci } = window;
  window.setTimeout = (fn, ms, ...args) => { const id = st((...a) => { live.delete(id); typeof fn === 'function' && fn(...a); }, ms, ...args); live.add(id); return id; };
  window.clearTimeout = (id) => { live.delete(id); ct(id); };
  window.setInterval = (fn, ms, ...args) => { const id = si(fn, ms, ...args); live.add(id); return id; };
  window.clearInterval = (id) => { live.delete(id); ci(id); };
  window.liveTimers = () => live.size;
})();`;

async function memory(browser, origin, tag) {
  const context = await browser.createBrowserContext();
  try {
    const tab = await context.newPage();
    await tab.evaluateOnNewDocument(timerTracker);
    await tab.goto(`${origin}/bench/blank.html`);
    const cdp = await tab.createCDPSession();
    const cycle = (count) =>
      tab.evaluate(
        async (tagName, attributes, n) => {
          await import(`/dist/cdn/${tagName}.js`);
          for (let i = 0; i < n; i++) {
            const el = document.createElement(tagName);
            for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
            el.addEventListener('error', () => {});
            document.body.append(el);
            await el.updateComplete;
            el.remove();
          }
        },
        tag,
        mountAttributes[tag],
        count,
      );
    const live = async (prototype) => {
      const proto = await cdp.send('Runtime.evaluate', {
        expression: `${prototype}.prototype`,
        objectGroup: 'bench',
      });
      const found = await cdp.send('Runtime.queryObjects', {
        prototypeObjectId: proto.result.objectId,
        objectGroup: 'bench',
      });
      const { result } = await cdp.send('Runtime.callFunctionOn', {
        objectId: found.objects.objectId,
        functionDeclaration: 'function () { return this.length; }',
        returnByValue: true,
      });
      return result.value;
    };
    const snapshot = async () => {
      await new Promise((done) => setTimeout(done, 500));
      // What DevTools itself holds (the previous snapshot's handles) must not count as a leak.
      await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'bench' });
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      const win = await cdp.send('Runtime.evaluate', {
        expression: 'window',
        objectGroup: 'bench',
      });
      const { listeners } = await cdp.send('DOMDebugger.getEventListeners', {
        objectId: win.result.objectId,
      });
      const doc = await cdp.send('Runtime.evaluate', {
        expression: 'document',
        objectGroup: 'bench',
      });
      const { listeners: docListeners } = await cdp.send('DOMDebugger.getEventListeners', {
        objectId: doc.result.objectId,
      });
      const counts = {
        heap: usedSize,
        resources:
          (await live('BroadcastChannel')) +
          (await live('EventSource')) +
          (await live('WebSocket')),
        listeners: listeners.length + docListeners.length,
        timers: await tab.evaluate(() => window.liveTimers()),
      };
      await cdp.send('Runtime.releaseObjectGroup', { objectGroup: 'bench' });
      return counts;
    };
    // Warm up first: the JIT compiles the hot paths (code and feedback live on the heap too).
    await cycle(2000);
    const before = await snapshot();
    const started = Date.now();
    await cycle(CYCLES);
    const seconds = (Date.now() - started) / 1000;
    const after = await snapshot();
    // A leak grows with the cycles; a one-off cost (JIT code, caches) does not.
    await cycle(CYCLES);
    const again = await snapshot();
    return {
      tag,
      growth: (after.heap - before.heap) / before.heap,
      furtherGrowth: (again.heap - after.heap) / before.heap,
      heapBefore: before.heap,
      heapAfter: after.heap,
      resources: Math.max(after.resources, again.resources) - before.resources,
      listeners: Math.max(after.listeners, again.listeners) - before.listeners,
      timers: Math.max(after.timers, again.timers) - before.timers,
      seconds,
    };
  } finally {
    await context.close();
  }
}

/**
 * What one message costs as a DOM event, in µs: the part of each element's per-message work
 * that the raw APIs (whose own event is already paid for) and callback-based peers do not do.
 */
async function eventCost(browser, origin) {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${origin}/bench/blank.html`);
    return await tab.evaluate(async () => {
      await import('/dist/cdn/tab-channel.js');
      const channel = document.createElement('tab-channel');
      channel.name = 'cost';
      document.body.append(channel);
      let sum = 0;
      const listener = (event) => (sum += event.data.i);
      channel.addEventListener('message', listener);
      const element = document.createElement('div');
      document.body.append(element);
      element.addEventListener('message', listener);
      const target = new EventTarget();
      target.addEventListener('message', listener);
      const data = { i: 1 };
      const built = new MessageEvent('message', { data });
      const n = 200_000;
      const time = (work) => {
        for (let i = 0; i < n / 10; i++) work();
        const begin = performance.now();
        for (let i = 0; i < n; i++) work();
        return ((performance.now() - begin) / n) * 1000;
      };
      const rows = [
        ['create a MessageEvent { data }', time(() => new MessageEvent('message', { data }))],
        [
          'create a MessageEvent { data, origin, lastEventId }',
          time(() => new MessageEvent('message', { data, origin: 'http://x', lastEventId: '1' })),
        ],
        ['create an Event', time(() => new Event('message'))],
        ['dispatch on an EventTarget', time(() => target.dispatchEvent(built))],
        ['dispatch on an element in the document', time(() => element.dispatchEvent(built))],
        // `deliver` is private in the TypeScript source: called here to time the element's own path.
        [
          '`<tab-channel>` delivering one message (create + dispatch)',
          time(() => channel.deliver(data, 'http://x')),
        ],
        ['a callback (what callback-based peers pay)', time(() => listener(built))],
      ];
      void sum;
      return rows.map(([what, micros]) => ({ what, micros }));
    });
  } finally {
    await tab.close();
  }
}

export async function clientBench({ runs = 5, log = console.error } = {}) {
  const served = await startServer();
  const browser = await puppeteer.launch({
    executablePath: findChrome(),
    headless: true,
    args: chromeArgs,
    protocolTimeout: 120_000,
  });
  const results = [];
  const memoryRows = [];
  let eventCosts = [];
  try {
    const only = process.env.BENCH_CASES ? new RegExp(process.env.BENCH_CASES) : undefined;
    const chosen = cases.filter((c) => !only || only.test(c.name));
    for (const group of new Set(chosen.map((c) => c.group))) {
      // The cases of a group take turns, run after run, so each run of an element has a run of
      // its raw API next to it under the same machine load: ratios are taken per run.
      const specs = chosen.filter((c) => c.group === group);
      const all = specs.map(() => []);
      for (let r = 0; r < runs; r++) {
        for (const [index, spec] of specs.entries()) {
          log(`client: ${spec.name}, run ${r + 1}/${runs}`);
          all[index].push(await measure(browser, served, spec, r));
        }
      }
      for (const [index, spec] of specs.entries()) {
        const throughputs = all[index].map((x) => x.throughput);
        results.push({
          ...spec,
          throughputs,
          throughput: median(throughputs),
          spread: [Math.min(...throughputs), Math.max(...throughputs)],
          p50: median(all[index].map((x) => x.p50)),
          p99: median(all[index].map((x) => x.p99)),
        });
      }
    }
    // BENCH_CASES / BENCH_TAGS (a regular expression, a comma-separated list) narrow a run by hand.
    const tags = Object.keys(mountAttributes).filter(
      (tag) => !process.env.BENCH_TAGS || process.env.BENCH_TAGS.split(',').includes(tag),
    );
    for (const tag of tags) {
      log(`client: memory, ${CYCLES} cycles of <${tag}>`);
      memoryRows.push(await memory(browser, served.origin, tag));
    }
    log('client: the cost of a message as a DOM event');
    eventCosts = await eventCost(browser, served.origin);
  } finally {
    await browser.close();
    await served.hub.close();
    served.server.close();
  }
  return {
    messages: N,
    latencyMessages: LATENCY_MESSAGES,
    cycles: CYCLES,
    runs,
    results,
    memory: memoryRows,
    eventCosts,
  };
}

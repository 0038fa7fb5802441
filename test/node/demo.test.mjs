// `npm start`'s server, driven by real Chromium: the demo pages load and work across two tabs.
// DEMO_ENGINE=firefox drives Firefox instead (puppeteer-core over WebDriver BiDi).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import puppeteer from 'puppeteer-core';
import { startDemoServer } from '../../demo/server.mjs';
import { chromeArgs, findChrome } from '../../scripts/find-chrome.mjs';
import { findFirefox, firefoxPrefs } from '../../scripts/find-firefox.mjs';

const launchOptions =
  process.env.DEMO_ENGINE === 'firefox'
    ? { browser: 'firefox', executablePath: findFirefox(), extraPrefsFirefox: firefoxPrefs }
    : { executablePath: findChrome(), args: chromeArgs };

let server;
let browser;

before(async () => {
  server = await startDemoServer({ port: 0, host: 'localhost' });
  browser = await puppeteer.launch({ ...launchOptions, headless: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(path) {
  const page = await browser.newPage();
  const errors = [];
  const notFound = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('response', (response) => response.status() === 404 && notFound.push(response.url()));
  await page.goto(new URL(path, server.url).href, { waitUntil: 'load' });
  return { page, errors, notFound };
}

test('the index links every demo page, and each loads without errors', async () => {
  const { page } = await openPage('/demo/');
  const links = await page.$$eval('a[href^="/demo/"]', (anchors) =>
    anchors.map((a) => a.getAttribute('href')),
  );
  assert.ok(links.length >= 1);
  for (const link of links) {
    const { page: demo, errors, notFound } = await openPage(link);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(errors, [], `${link} threw`);
    assert.deepEqual(notFound, [], `${link} asked for missing files (a favicon?)`);
    await demo.close();
  }
});

// The same pages from the published bin (`realtime-elements-server --demo`), which serves them
// without @web/dev-server: each loads with no error and no missing file, and its elements open
// (the red-team pass also ran this whole file against the bin installed from the tarball).
test('realtime-elements-server --demo: every demo page loads, with no missing file, and opens', async () => {
  const child = spawn(process.execPath, ['dist/server/cli.js', '--demo', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    const origin = await new Promise((resolve, reject) => {
      child.stdout.on('data', () => {
        const url = /listening on (\S+)/.exec(output)?.[1];
        if (url) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const index = await (await fetch(`${origin}/demo/`)).text();
    const links = [...index.matchAll(/href="(\/demo\/[^"]+\.html)"/g)].map(([, href]) => href);
    assert.ok(links.length >= 7, index);
    for (const link of links) {
      const page = await browser.newPage();
      const problems = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
      await page.goto(`${origin}${link}`, { waitUntil: 'load' });
      // Settled: nothing still connecting, nothing failed (popups are closed until opened).
      await page
        .waitForFunction(
          () =>
            [...document.querySelectorAll('[state]')].every(
              (el) => ['open', 'paused', 'closed'].includes(el.state) && !el.error,
            ),
          { polling: 100, timeout: 30_000 },
        )
        .catch(async (error) => {
          const states = await page.$$eval('[state]', (els) =>
            els.map((el) => `${el.localName}:${el.state}:${el.error?.code}`),
          );
          throw new Error(`${link}: ${states.join(', ')}`, { cause: error });
        });
      assert.deepEqual(problems, [], link);
      await page.close();
    }
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

test('every demo page shows the reason of an error state, even one raised before it listened', async () => {
  const { page } = await openPage('/demo/');
  const links = await page.$$eval('a[href^="/demo/"]', (anchors) =>
    anchors.map((a) => a.getAttribute('href')),
  );
  // The popup page opened on its own has no opener: an error at once, before any listener.
  for (const link of [...links, '/demo/popup-bridge-popup.html']) {
    const { page: demo } = await openPage(link);
    const found = await demo.evaluate(async (noOpener) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Then until each failure is shown (a status renders after its event, later on a loaded
      // machine) and the page without an opener has failed; what is left after 10 s is reported.
      const end = performance.now() + 10_000;
      for (;;) {
        const failed = [...document.querySelectorAll('[state]')].filter((el) => el.error);
        const shown = [...document.querySelectorAll('.status')].map((el) => el.textContent).join();
        const found = failed.map((el) => ({
          tag: el.localName,
          code: el.error.code,
          shown: shown.includes(el.error.code),
        }));
        const done = found.every((f) => f.shown) && (!noOpener || found.length > 0);
        if (done || performance.now() > end) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }, link === '/demo/popup-bridge-popup.html');
    for (const { tag, code, shown } of found)
      assert.ok(shown, `${link}: <${tag}> failed with ${code}, and the page does not say so`);
    if (link === '/demo/popup-bridge-popup.html')
      assert.deepEqual(found, [{ tag: 'popup-bridge', code: 'no-opener', shown: true }]);
    if (link === '/demo/popup-bridge.html') assert.deepEqual(found, []);
    await demo.close();
  }
});

test('tab-channel demo: text typed in one tab appears in the other, as text, on both transports', async () => {
  const first = await openPage('/demo/tab-channel.html');
  const second = await openPage('/demo/tab-channel.html');
  // Polling, not requestAnimationFrame: a background tab runs no animation frames.
  const allOpen = () =>
    [...document.querySelectorAll('tab-channel')].every((channel) => channel.state === 'open');
  await first.page.waitForFunction(allOpen, { polling: 50, timeout: 15_000 });
  await second.page.waitForFunction(allOpen, { polling: 50, timeout: 15_000 });
  await first.page.bringToFront();
  for (const id of ['chat', 'cookie-chat']) {
    await first.page.type(`#${id} input`, `<b>hello ${id}</b>`);
    await first.page.click(`#${id} button`);
    await second.page.waitForFunction(
      (id) => document.querySelector(`#${id} .log li`),
      {
        polling: 50,
        timeout: 15_000,
      },
      id,
    );
    const item = await second.page.$eval(`#${id} .log li`, (li) => ({
      text: li.textContent,
      bold: li.querySelector('b'),
    }));
    assert.deepEqual(item, { text: `<b>hello ${id}</b>`, bold: null });
  }
  const transports = await second.page.$$eval('.transport', (spans) =>
    spans.map((span) => span.textContent),
  );
  assert.deepEqual(transports, ['via broadcast', 'via cookie']);
});

test('storage-sync demo: a draft survives a reload and reaches another tab', async () => {
  const first = await openPage('/demo/storage-sync.html');
  const ready = () => document.querySelector('storage-sync')?.state === 'open';
  await first.page.waitForFunction(ready, { polling: 50, timeout: 15_000 });
  await first.page.bringToFront();
  await first.page.type('[name=title]', 'My draft');
  await first.page.type('[name=password]', 'hunter2');
  await first.page.reload({ waitUntil: 'load' });
  await first.page.waitForFunction(ready, { polling: 50, timeout: 15_000 });
  assert.equal(await first.page.$eval('[name=title]', (input) => input.value), 'My draft');
  assert.equal(await first.page.$eval('[name=password]', (input) => input.value), '');

  const second = await openPage('/demo/storage-sync.html');
  await second.page.waitForFunction(ready, { polling: 50, timeout: 15_000 });
  assert.equal(await second.page.$eval('[name=title]', (input) => input.value), 'My draft');
  await second.page.bringToFront();
  await second.page.type('[name=title]', '!');
  await first.page.waitForFunction(
    () => document.querySelector('[name=title]').value === 'My draft!',
    { polling: 50, timeout: 15_000 },
  );
});

test('the demo server embeds the hub: SSE, publish and the WebSocket relay answer', async () => {
  const origin = new URL(server.url).origin;
  const page = await browser.newPage();
  await page.goto(server.url);
  const result = await page.evaluate(async () => {
    const source = new EventSource('/realtime/sse?topic=demo-check');
    const got = new Promise((resolve) =>
      source.addEventListener('demo-check', (e) => resolve(JSON.parse(e.data))),
    );
    await new Promise((resolve) => (source.onopen = resolve));
    const socket = new WebSocket(`ws://${location.host}/realtime/ws`);
    await new Promise((resolve) => (socket.onopen = resolve));
    socket.send(
      JSON.stringify({ type: 'publish', topic: 'demo-check', data: { via: 'ws' }, ref: 1 }),
    );
    const value = await got;
    source.close();
    socket.close();
    return value;
  });
  assert.deepEqual(result, { via: 'ws' });
  assert.equal((await fetch(`${origin}/realtime/poll?topic=demo-check&timeout=0`)).status, 200);
});

test('sse-feed demo: ticks keep coming with no gap across a server-side cut', async () => {
  const { page, errors } = await openPage('/demo/sse-feed.html');
  await page.waitForFunction(() => Number(document.getElementById('count').textContent) >= 2, {
    polling: 100,
    timeout: 30_000,
  });
  await page.click('#cut');
  await page.waitForFunction(() => Number(document.getElementById('drops').textContent) >= 1, {
    polling: 50,
    timeout: 15_000,
  });
  const before = Number(await page.$eval('#count', (el) => el.textContent));
  await page.waitForFunction(
    (n) => Number(document.getElementById('count').textContent) >= n + 2,
    { polling: 100, timeout: 30_000 },
    before,
  );
  assert.equal(await page.$eval('#gaps', (el) => el.textContent), 'none');
  assert.deepEqual(errors, []);
});

test('chat demo: one POST per prompt, the answer appended as text, Stop aborts it', async () => {
  const { page, errors } = await openPage('/demo/chat.html');
  await page.waitForFunction(() => window.demoReady === true, { timeout: 30_000 });
  const posts = [];
  page.on('request', (request) => request.url().endsWith('/demo-api/chat') && posts.push(request));
  await page.$eval('#prompt', (input) => (input.value = '<b>bold?</b>'));
  await page.click('#send');
  await page.waitForFunction(() => document.querySelector('.answer')?.dataset.done === 'true', {
    polling: 100,
    timeout: 30_000,
  });
  const answer = await page.$eval('.answer', (li) => ({
    text: li.textContent,
    html: li.innerHTML,
  }));
  assert.match(answer.text, /^You asked about “<b>bold\?<\/b>”\. .* stops\.$/);
  assert.ok(!answer.html.includes('<b>'), 'appended as text');
  assert.equal(posts.length, 1);
  await page.click('#send');
  await page.waitForFunction(() => document.querySelectorAll('.answer')[1]?.textContent, {
    polling: 50,
    timeout: 30_000,
  });
  await page.click('#stop');
  await page.waitForFunction(
    () => document.querySelectorAll('.answer')[1]?.dataset.done === 'stopped',
    { polling: 50, timeout: 30_000 },
  );
  assert.equal(posts.length, 2);
  assert.deepEqual(errors, []);
});

test('socket-relay demo: a message typed during an outage reaches the other tab after the reconnect', async () => {
  const first = await openPage('/demo/socket-relay.html');
  const second = await openPage('/demo/socket-relay.html');
  const isOpen = () => document.getElementById('chat').state === 'open';
  await first.page.waitForFunction(isOpen, { polling: 50, timeout: 15_000 });
  await second.page.waitForFunction(isOpen, { polling: 50, timeout: 15_000 });
  await first.page.bringToFront();
  // The drop is recorded as it happens: polling for a state other than open could miss a
  // reconnect that came back between two polls of a loaded machine.
  await first.page.evaluate(() => {
    window.dropped = false;
    const chat = document.getElementById('chat');
    chat.addEventListener('statechange', () => chat.state !== 'open' && (window.dropped = true));
  });
  await first.page.click('#cut');
  await first.page.waitForFunction(() => window.dropped, { polling: 10, timeout: 15_000 });
  await first.page.type('#text', 'sent while cut');
  await first.page.click('#send button');
  await second.page.waitForFunction(
    () =>
      [...document.querySelectorAll('#log li')].some((li) =>
        li.textContent.endsWith(': sent while cut'),
      ),
    { polling: 50, timeout: 30_000 },
  );
  assert.deepEqual([...first.errors, ...second.errors], []);
});

test('popup-bridge demo: a message sent before opening reaches a cross-origin popup', async () => {
  const { page, errors } = await openPage('/demo/popup-bridge.html');
  await page.bringToFront();
  await page.type('#text', 'queued before open');
  await page.click('#send button');
  const popupTarget = browser.waitForTarget((target) =>
    target.url().includes('popup-bridge-popup.html'),
  );
  await page.click('#open-cross');
  const popup = await (await popupTarget).page();
  await popup.waitForFunction(
    () =>
      [...document.querySelectorAll('#log li')].some(
        (li) => li.textContent === 'opener: queued before open',
      ),
    { polling: 50, timeout: 30_000 },
  );
  assert.notEqual(new URL(popup.url()).origin, new URL(page.url()).origin);
  await page.click('#ask');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('#log li')].some((li) =>
        li.textContent.startsWith('the popup says it is'),
      ),
    { polling: 50, timeout: 15_000 },
  );
  assert.deepEqual(errors, []);
});

test('sw-relay demo: the first load registers the worker and relays to a second tab', async () => {
  const first = await openPage('/demo/sw-relay.html');
  const isOpen = () => document.getElementById('relay').state === 'open';
  await first.page.waitForFunction(isOpen, { polling: 50, timeout: 30_000 });
  const second = await openPage('/demo/sw-relay.html');
  await second.page.waitForFunction(isOpen, { polling: 50, timeout: 30_000 });
  await first.page.bringToFront();
  await first.page.type('#text', 'through the worker');
  await first.page.click('#send button');
  await second.page.waitForFunction(
    () =>
      [...document.querySelectorAll('#log li')].some((li) =>
        li.textContent.endsWith(': through the worker'),
      ),
    { polling: 50, timeout: 15_000 },
  );
  await first.page.click('#count');
  await first.page.waitForFunction(
    () => /\d+ tab/.test(document.getElementById('tabs').textContent),
    {
      polling: 50,
      timeout: 15_000,
    },
  );
  assert.deepEqual([...first.errors, ...second.errors], []);
});

test('poll-feed demo: long-polled ticks keep coming with no gap across a server-side cut', async () => {
  const { page, errors } = await openPage('/demo/poll-feed.html');
  await page.bringToFront();
  await page.waitForFunction(() => Number(document.getElementById('count').textContent) >= 1, {
    polling: 100,
    timeout: 30_000,
  });
  await page.click('#cut');
  const before = Number(await page.$eval('#count', (el) => el.textContent));
  await page.waitForFunction(
    (n) => Number(document.getElementById('count').textContent) >= n + 2,
    { polling: 100, timeout: 30_000 },
    before,
  );
  assert.equal(await page.$eval('#gaps', (el) => el.textContent), 'none');
  assert.deepEqual(errors, []);
});

test('shared demo: three tabs hold one server connection; closing the leader loses no tick', async () => {
  // A server of its own: the earlier tests' pages (feeds reconnecting after a cut) would count.
  const own = await startDemoServer({ port: 0, host: 'localhost' });
  const context = await browser.createBrowserContext();
  const stats = async () => (await (await fetch(new URL('/demo-api/stats', own.url))).json()).sse;
  const before = await stats();
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await context.newPage();
    await page.goto(new URL('/demo/shared.html', own.url).href, { waitUntil: 'load' });
    pages.push(page);
  }
  const count = (page) => page.$eval('#count', (el) => Number(el.textContent));
  for (const page of pages) {
    await page.waitForFunction(() => Number(document.getElementById('count').textContent) >= 2, {
      polling: 100,
      timeout: 30_000,
    });
  }
  assert.equal((await stats()) - before, 1, 'one SSE connection for three tabs');
  const leading = await Promise.all(pages.map((page) => page.$eval('#feed', (el) => el.leader)));
  assert.equal(leading.filter(Boolean).length, 1);
  const leader = pages[leading.indexOf(true)];
  const others = pages.filter((page) => page !== leader);
  await leader.close();
  for (const page of others) {
    const seen = await count(page);
    await page.waitForFunction(
      (n) => Number(document.getElementById('count').textContent) >= n + 3,
      { polling: 100, timeout: 30_000 },
      seen,
    );
    assert.equal(await page.$eval('#gaps', (el) => el.textContent), 'none');
  }
  const now = await Promise.all(others.map((page) => page.$eval('#feed', (el) => el.leader)));
  assert.equal(now.filter(Boolean).length, 1);
  await context.close();
  await own.stop();
});

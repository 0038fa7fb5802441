// `npm start`'s server, driven by real Chromium, Firefox and WebKitGTK (test/node/demo-tabs.mjs):
// the demo pages load and work across tabs, the same checks in each engine, the engines side by
// side. BROWSERS=firefox (as `npm test -- --engine firefox` sets it) picks engines; an engine
// that is not installed fails with CI=true and is reported as NOT tested elsewhere.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startDemoServer } from '../../demo/server.mjs';
import { selectedEngines } from '../engines.mjs';
import { errorRecorder, installed, launch } from './demo-tabs.mjs';

/** A demo server of the test's own: the recorder first in every page, the chat POSTs counted. */
async function demoServer() {
  const counts = { chatPosts: 0 };
  const server = await startDemoServer({
    port: 0,
    host: 'localhost',
    middleware: [
      (context, next) => {
        if (context.method === 'POST' && context.path === '/demo-api/chat') counts.chatPosts++;
        return next();
      },
    ],
    plugins: [
      {
        name: 'record-page-errors',
        transform(context) {
          if (context.response.is('html'))
            return context.body.replace('<head>', `<head><script>${errorRecorder}</script>`);
        },
      },
    ],
  });
  return Object.assign(server, { counts });
}

const hasLine = (selector, matches) =>
  [...document.querySelectorAll(selector)].some((li) => new RegExp(matches).test(li.textContent));

/**
 * Cuts the demo's stream (its Cut button), runs `afterCut`, then waits for two more ticks and
 * checks the page counted no gap and threw nothing; closes the page.
 */
async function noGapAcrossCut(page, afterCut = async () => {}) {
  const text = (id) => document.getElementById(id).textContent;
  await page.click('#cut');
  await afterCut();
  const before = Number(await page.evaluate(text, 'count'));
  await page.waitFor(
    (n) => Number(document.getElementById('count').textContent) >= n + 2,
    { polling: 100, timeout: 30_000 },
    before,
  );
  assert.equal(await page.evaluate(text, 'gaps'), 'none');
  assert.deepEqual(await page.errors(), []);
  await page.close();
}

function demoSuite(engine) {
  let server;
  let browser;

  before(async () => {
    server = await demoServer();
    browser = await launch(engine);
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await server?.stop();
    }
  });

  const open = (path, origin = server.url) => browser.open(new URL(path, origin).href);

  /** The demo pages the index links, and the popup page, which opened on its own has no opener. */
  async function demoPages(origin) {
    const index = await (await fetch(new URL('/demo/', origin))).text();
    const links = [...index.matchAll(/href="(\/demo\/[^"]+\.html)"/g)].map(([, href]) => href);
    assert.ok(links.length >= 9, index);
    return [...links, '/demo/popup-bridge-popup.html'];
  }

  /**
   * Opens each page and waits until it has settled: every element open, paused or closed, or
   * failed with its error's code shown on the page (the popup page without an opener fails at
   * once, before its script listens). Then: nothing thrown, no missing file, and no element
   * failed but that one.
   */
  async function checkPages(origin) {
    for (const link of await demoPages(origin)) {
      const page = await open(link, origin);
      const noOpener = link === '/demo/popup-bridge-popup.html';
      const settled = (noOpener) => {
        const shown = [...document.querySelectorAll('.status')].map((el) => el.textContent).join();
        const elements = [...document.querySelectorAll('[state]')];
        const failed = elements.filter((el) => el.error);
        const done =
          elements.every((el) =>
            el.error
              ? shown.includes(el.error.code)
              : ['open', 'paused', 'closed'].includes(el.state),
          ) &&
          (!noOpener || failed.length > 0);
        return done && failed.map((el) => `<${el.localName}> ${el.error.code}`);
      };
      const failed = await page
        .waitFor(settled, { polling: 100, timeout: 30_000 }, noOpener)
        .catch(async (error) => {
          const states = await page.evaluate(() =>
            [...document.querySelectorAll('[state]')].map(
              (el) => `${el.localName}:${el.state}:${el.error?.code}`,
            ),
          );
          throw new Error(`${link} did not settle, or hides an error: ${states.join(', ')}`, {
            cause: error,
          });
        });
      assert.deepEqual(failed, noOpener ? ['<popup-bridge> no-opener'] : [], link);
      assert.deepEqual(await page.errors(), [], `${link} threw`);
      assert.deepEqual(await page.failed(), [], `${link} asked for missing files (a favicon?)`);
      await page.close();
    }
  }

  test('every demo page loads with no error and no missing file, and shows any failure with its reason', async () => {
    const index = await open('/demo/');
    const links = await index.evaluate(() =>
      [...document.querySelectorAll('a[href^="/demo/"]')].map((a) => a.getAttribute('href')),
    );
    assert.deepEqual(
      [...links, '/demo/popup-bridge-popup.html'],
      await demoPages(server.url),
      'the index links every page',
    );
    assert.deepEqual([...(await index.errors()), ...(await index.failed())], []);
    await index.close();
    await checkPages(server.url);
  });

  // The same pages from the published bin (`realtime-elements-server --demo`), which serves them
  // without @web/dev-server (the red-team pass also ran this whole file against the bin
  // installed from the tarball).
  test('realtime-elements-server --demo: the same checks', async () => {
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
      await checkPages(origin);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  test('tab-channel demo: text typed in one tab appears in the other, as text, on both transports', async () => {
    const first = await open('/demo/tab-channel.html');
    const second = await open('/demo/tab-channel.html');
    // Polling, not requestAnimationFrame: a background tab runs no animation frames.
    const allOpen = () =>
      [...document.querySelectorAll('tab-channel')].every((channel) => channel.state === 'open');
    await first.waitFor(allOpen);
    await second.waitFor(allOpen);
    await first.front();
    for (const id of ['chat', 'cookie-chat']) {
      await first.type(`#${id} input`, `<b>hello ${id}</b>`);
      await first.click(`#${id} button`);
      await second.waitFor((id) => document.querySelector(`#${id} .log li`), {}, id);
      const item = await second.evaluate((id) => {
        const li = document.querySelector(`#${id} .log li`);
        return { text: li.textContent, bold: li.querySelector('b') };
      }, id);
      assert.deepEqual(item, { text: `<b>hello ${id}</b>`, bold: null });
    }
    const transports = await second.evaluate(() =>
      [...document.querySelectorAll('.transport')].map((span) => span.textContent),
    );
    assert.deepEqual(transports, ['via broadcast', 'via cookie']);
    assert.deepEqual([...(await first.errors()), ...(await second.errors())], []);
    await first.close();
    await second.close();
  });

  test('storage-sync demo: a draft survives a reload and reaches another tab', async () => {
    const first = await open('/demo/storage-sync.html');
    const ready = () => document.querySelector('storage-sync')?.state === 'open';
    const value = (name) => document.querySelector(`[name=${name}]`).value;
    await first.waitFor(ready);
    await first.front();
    await first.type('[name=title]', 'My draft');
    await first.type('[name=password]', 'hunter2');
    await first.reload();
    await first.waitFor(ready);
    assert.equal(await first.evaluate(value, 'title'), 'My draft');
    assert.equal(await first.evaluate(value, 'password'), '');

    const second = await open('/demo/storage-sync.html');
    await second.waitFor(ready);
    assert.equal(await second.evaluate(value, 'title'), 'My draft');
    await second.front();
    await second.type('[name=title]', '!');
    await first.waitFor(() => document.querySelector('[name=title]').value === 'My draft!');
    assert.deepEqual([...(await first.errors()), ...(await second.errors())], []);
    await first.close();
    await second.close();
  });

  test('the demo server embeds the hub: SSE, publish and the WebSocket relay answer', async () => {
    const page = await open(server.url);
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
    const poll = await fetch(new URL('/realtime/poll?topic=demo-check&timeout=0', server.url));
    assert.equal(poll.status, 200);
    await page.close();
  });

  test('sse-feed demo: ticks keep coming with no gap across a server-side cut', async () => {
    const page = await open('/demo/sse-feed.html');
    await page.waitFor(() => Number(document.getElementById('count').textContent) >= 2, {
      polling: 100,
      timeout: 30_000,
    });
    await noGapAcrossCut(page, () =>
      page.waitFor(() => Number(document.getElementById('drops').textContent) >= 1),
    );
  });

  test('chat demo: one POST per prompt, the answer appended as text, Stop aborts it', async () => {
    const page = await open('/demo/chat.html');
    await page.waitFor(() => window.demoReady === true, { timeout: 30_000 });
    const postsBefore = server.counts.chatPosts;
    await page.evaluate(() => (document.getElementById('prompt').value = '<b>bold?</b>'));
    await page.click('#send');
    await page.waitFor(() => document.querySelector('.answer')?.dataset.done === 'true', {
      polling: 100,
      timeout: 30_000,
    });
    const answer = await page.evaluate(() => {
      const li = document.querySelector('.answer');
      return { text: li.textContent, html: li.innerHTML };
    });
    assert.match(answer.text, /^You asked about “<b>bold\?<\/b>”\. .* stops\.$/);
    assert.ok(!answer.html.includes('<b>'), 'appended as text');
    assert.equal(server.counts.chatPosts - postsBefore, 1);
    await page.click('#send');
    await page.waitFor(() => document.querySelectorAll('.answer')[1]?.textContent, {
      timeout: 30_000,
    });
    await page.click('#stop');
    await page.waitFor(() => document.querySelectorAll('.answer')[1]?.dataset.done === 'stopped', {
      timeout: 30_000,
    });
    assert.equal(server.counts.chatPosts - postsBefore, 2);
    assert.deepEqual(await page.errors(), []);
    await page.close();
  });

  test('socket-relay demo: a message typed during an outage reaches the other tab after the reconnect', async () => {
    const first = await open('/demo/socket-relay.html');
    const second = await open('/demo/socket-relay.html');
    const isOpen = () => document.getElementById('chat').state === 'open';
    await first.waitFor(isOpen);
    await second.waitFor(isOpen);
    await first.front();
    // The drop is recorded as it happens: polling for a state other than open could miss a
    // reconnect that came back between two polls of a loaded machine.
    await first.evaluate(() => {
      window.dropped = false;
      const chat = document.getElementById('chat');
      chat.addEventListener('statechange', () => chat.state !== 'open' && (window.dropped = true));
    });
    await first.click('#cut');
    await first.waitFor(() => window.dropped, { polling: 10 });
    await first.type('#text', 'sent while cut');
    await first.click('#send button');
    await second.waitFor(hasLine, { timeout: 30_000 }, '#log li', ': sent while cut$');
    assert.deepEqual([...(await first.errors()), ...(await second.errors())], []);
    await first.close();
    await second.close();
  });

  test('popup-bridge demo: a message sent before opening reaches a cross-origin popup', async () => {
    const page = await open('/demo/popup-bridge.html');
    await page.front();
    await page.type('#text', 'queued before open');
    await page.click('#send button');
    // A real click, and popups blocked as a user has them (no popup allowance in any engine).
    await page.click('#open-cross');
    const popup = await browser.popup('popup-bridge-popup.html');
    await popup.waitFor(hasLine, { timeout: 30_000 }, '#log li', '^opener: queued before open$');
    assert.notEqual(new URL(await popup.url()).origin, new URL(await page.url()).origin);
    await page.click('#ask');
    await page.waitFor(hasLine, {}, '#log li', '^the popup says it is');
    assert.deepEqual([...(await page.errors()), ...(await popup.errors())], []);
    await page.click('#close');
    await page.close();
  });

  test('sw-relay demo: the first load registers the worker and relays to a second tab', async () => {
    const first = await open('/demo/sw-relay.html');
    const isOpen = () => document.getElementById('relay').state === 'open';
    await first.waitFor(isOpen, { timeout: 30_000 });
    const second = await open('/demo/sw-relay.html');
    await second.waitFor(isOpen, { timeout: 30_000 });
    await first.front();
    await first.type('#text', 'through the worker');
    await first.click('#send button');
    await second.waitFor(hasLine, {}, '#log li', ': through the worker$');
    await first.click('#count');
    await first.waitFor(() => /\d+ tab/.test(document.getElementById('tabs').textContent));
    assert.deepEqual([...(await first.errors()), ...(await second.errors())], []);
    await first.close();
    await second.close();
  });

  test('poll-feed demo: long-polled ticks keep coming with no gap across a server-side cut', async () => {
    const page = await open('/demo/poll-feed.html');
    await page.front();
    await page.waitFor(() => Number(document.getElementById('count').textContent) >= 1, {
      polling: 100,
      timeout: 30_000,
    });
    await noGapAcrossCut(page);
  });

  test('shared demo: three tabs hold one server connection; closing the leader loses no tick', async () => {
    // A server of its own (another origin: its own locks and channels): the earlier tests'
    // pages (feeds reconnecting after a cut) would count.
    const own = await demoServer();
    try {
      const stats = async () =>
        (await (await fetch(new URL('/demo-api/stats', own.url))).json()).sse;
      const count = () => Number(document.getElementById('count').textContent);
      const isLeader = () => document.getElementById('feed').leader;
      const before = await stats();
      const pages = [];
      for (let i = 0; i < 3; i++) pages.push(await open('/demo/shared.html', own.url));
      await Promise.all(
        pages.map((page) =>
          page.waitFor(() => Number(document.getElementById('count').textContent) >= 2, {
            polling: 100,
            timeout: 30_000,
          }),
        ),
      );
      assert.equal((await stats()) - before, 1, 'one SSE connection for three tabs');
      const leading = await Promise.all(pages.map((page) => page.evaluate(isLeader)));
      assert.equal(leading.filter(Boolean).length, 1);
      const leader = pages[leading.indexOf(true)];
      const others = pages.filter((page) => page !== leader);
      await leader.close();
      await Promise.all(
        others.map(async (page) => {
          const seen = await page.evaluate(count);
          await page.waitFor(
            (n) => Number(document.getElementById('count').textContent) >= n + 3,
            { polling: 100, timeout: 30_000 },
            seen,
          );
        }),
      );
      for (const page of others)
        assert.equal(
          await page.evaluate(() => document.getElementById('gaps').textContent),
          'none',
        );
      const now = await Promise.all(others.map((page) => page.evaluate(isLeader)));
      assert.equal(now.filter(Boolean).length, 1);
      for (const page of others) assert.deepEqual(await page.errors(), []);
      for (const page of others) await page.close();
    } finally {
      await own.stop();
    }
  });
}

describe('demo pages', { concurrency: true }, () => {
  for (const engine of selectedEngines()) {
    // The engines side by side, each engine's tests one after the other.
    describe(engine, { concurrency: 1 }, () => {
      if (installed[engine]()) return demoSuite(engine);
      if (process.env.CI)
        test(`${engine} is installed`, () => assert.fail(`${engine} is missing: CI never skips`));
      else {
        console.warn(`\n⚠ ${engine} is not installed: the demo pages are NOT tested in it.\n`);
        test(`NOT TESTED in ${engine}: not installed`, { skip: 'engine not installed' });
      }
    });
  }
});

import { expect } from '@open-wc/testing';
import '../src/tab-channel-define.js';
import { IdbChannel } from '../src/transports/idb-channel.js';
import { CookieChannel } from '../src/transports/cookie-channel.js';
import type { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import {
  Tab,
  closeAllTabs,
  engine,
  listenerTypes,
  record,
  sleep,
  uniqueName,
  waitUntil,
  faultRun,
} from './helpers.js';

type Fallback = 'storage' | 'idb' | 'cookie';
const fallbacks: Fallback[] = ['storage', 'idb', 'cookie'];

/** A `<tab-channel>` in this page, open (the fallback loaded). */
async function channelHere(name: string, attrs: Record<string, string> = {}) {
  const el = document.createElement('tab-channel');
  el.name = name;
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  const messages = record<RealtimeMessageEvent>(el, 'message');
  const errors = record<RealtimeErrorEvent>(el, 'error');
  document.body.append(el);
  await waitUntil(() => el.state !== 'connecting' && el.state !== 'closed', 15_000, 'open');
  return { el, messages, errors };
}

/** The same in a real second tab; the tab's `window.log` records its events. */
async function channelIn(tab: Tab, name: string, attrs = '') {
  await tab.eval(`(() => {
    const holder = document.createElement('div');
    holder.innerHTML = '<tab-channel name="${name}" ${attrs}></tab-channel>';
    window.channel = window.record(holder.firstElementChild, 'message', 'error');
    document.body.append(window.channel);
    return true;
  })()`);
  await tab.waitFor(`window.channel.state === 'open'`);
}

const cookieNames = () =>
  document.cookie
    .split('; ')
    .filter((cookie) => cookie.startsWith('tab-channel.'))
    .map((cookie) => cookie.split('=')[0]);

const ownStorageKeys = () =>
  Object.keys(localStorage).filter((key) => key.startsWith('realtime-elements/tab-channel:'));

async function idbRows(channel: string): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('realtime-elements-tab-channel');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    const all = await new Promise<{ c: string }[]>((resolve) => {
      const request = db.transaction('messages').objectStore('messages').getAll();
      request.onsuccess = () => resolve(request.result as { c: string }[]);
    });
    return all.filter((row) => row.c === channel).length;
  } finally {
    db.close();
  }
}

describe('<tab-channel transport>', () => {
  afterEach(async () => {
    await closeAllTabs();
    for (const el of document.querySelectorAll('tab-channel')) el.remove();
  });

  for (const transport of fallbacks) {
    describe(`transport="${transport}" between two real tabs`, () => {
      it('delivers both ways, never to the sender, with the origin', async () => {
        const name = uniqueName();
        const here = await channelHere(name, { transport });
        expect(here.el.activeTransport).to.equal(transport);
        expect(here.el.getAttribute('state')).to.equal('open');
        const tab = await Tab.open();
        await channelIn(tab, name, `transport="${transport}"`);

        here.el.post({ from: 'page', list: [1, 'two'] });
        const log = await tab.waitFor<{ data: unknown }[]>('window.log.length && window.log');
        expect(log).to.deep.equal([
          { type: 'message', data: { from: 'page', list: [1, 'two'] }, code: null },
        ]);

        await tab.eval(`(() => { window.channel.post('from tab'); return true; })()`);
        await waitUntil(() => here.messages.length === 1, 15_000, 'the reply');
        expect(here.messages[0].data).to.equal('from tab');
        expect(here.messages[0].origin).to.equal(location.origin);
        // Nothing else arrives, on either side: a sentinel each way, not a sleep.
        await tab.eval(`(() => { window.channel.post('sentinel'); return true; })()`);
        here.el.post('sentinel');
        await waitUntil(() => here.messages.length === 2, 15_000, 'the sentinel');
        expect(here.messages.map((event) => event.data)).to.deep.equal(['from tab', 'sentinel']);
        const tabLog = await tab.waitFor<{ data: unknown }[]>(
          'window.log.length === 2 && window.log',
        );
        expect(tabLog.map((entry) => entry.data)).to.deep.equal([
          { from: 'page', list: [1, 'two'] },
          'sentinel',
        ]);
        expect(here.errors.map((e) => [e.code, e.message])).to.deep.equal([]);
      });

      it(faultRun('keeps the order of 500 messages, with no duplicate'), async () => {
        const name = uniqueName();
        const here = await channelHere(name, { transport });
        const tab = await Tab.open();
        await channelIn(tab, name, `transport="${transport}"`);
        await tab.eval(
          `(() => { for (let n = 0; n < 500; n++) window.channel.post({ n }); window.channel.post('sentinel'); return true; })()`,
        );
        await waitUntil(() => here.messages.length >= 501, 20_000, '500 messages');
        expect(here.messages.map((event) => event.data)).to.deep.equal([
          ...[...Array(500).keys()].map((n) => ({ n })),
          'sentinel',
        ]);
        expect(here.errors.map((e) => [e.code, e.message])).to.deep.equal([]);
      });

      it('delivers nothing that was sent before it opened; echo delivers its own posts', async () => {
        const name = uniqueName();
        const tab = await Tab.open();
        await channelIn(tab, name, `transport="${transport}"`);
        await tab.eval(`(() => { window.channel.post('before'); return true; })()`);
        // Posted means written: the IndexedDB row commits a moment after post() returns.
        if (transport === 'idb') await waitUntil(async () => (await idbRows(name)) === 1);
        // Posted means seen here: WebKit copies another tab's localStorage write into this page
        // a moment later, with its storage event, and until then it is not "before" here.
        if (transport === 'storage')
          await waitUntil(() =>
            Object.keys(localStorage).some(
              (key) =>
                key.startsWith('realtime-elements/tab-channel:') &&
                localStorage.getItem(key)!.includes('"before"'),
            ),
          );
        const here = await channelHere(name, { transport, echo: '' });
        await tab.eval(`(() => { window.channel.post('after'); return true; })()`);
        here.el.post('own');
        await tab.eval(`(() => { window.channel.post('sentinel'); return true; })()`);
        // The tab's sentinel and this page's own echo come by different ways, in no fixed order.
        await waitUntil(
          () => ['sentinel', 'own'].every((data) => here.messages.some((e) => e.data === data)),
          15_000,
        );
        expect(here.messages.map((event) => event.data).sort()).to.deep.equal([
          'after',
          'own',
          'sentinel',
        ]);
      });

      it('delivers between two elements of one page, like BroadcastChannel', async () => {
        const name = uniqueName();
        const a = await channelHere(name, { transport });
        const b = await channelHere(name, { transport });
        a.el.post('a to b');
        b.el.post('sentinel');
        await waitUntil(() => a.messages.length === 1, 15_000, 'the sentinel');
        expect(b.messages.map((event) => event.data)).to.deep.equal(['a to b']);
        expect(a.messages.map((event) => event.data)).to.deep.equal(['sentinel']);
      });

      it('queues posts made while the transport loads, in order', async () => {
        const name = uniqueName();
        const tab = await Tab.open();
        await channelIn(tab, name, `transport="${transport}"`);
        const el = document.createElement('tab-channel');
        el.name = name;
        el.transport = transport;
        document.body.append(el);
        el.post('first');
        expect(el.state).to.equal('connecting');
        expect(el.activeTransport).to.equal('');
        el.post('second');
        const log = await tab.waitFor<{ data: unknown }[]>('window.log.length === 2 && window.log');
        expect(log.map((entry) => entry.data)).to.deep.equal(['first', 'second']);
      });
    });
  }

  // The ordering and delivery checks of test/broadcastchannel-wpt*.test.ts, through the element.
  for (const transport of ['broadcast', ...fallbacks]) {
    describe(`transport="${transport}": BroadcastChannel order and delivery through the element`, () => {
      it('posts of three elements reach the others in posting order, each post in creation order', async () => {
        const name = uniqueName();
        const els = [
          await channelHere(name, { transport }),
          await channelHere(name, { transport }),
          await channelHere(name, { transport }),
        ];
        const log: [number, unknown][] = [];
        els.forEach(({ el }, i) =>
          el.addEventListener('message', (event) => log.push([i, event.data])),
        );
        els[1].el.post('b1');
        els[0].el.post('a1');
        els[2].el.post('c1');
        els[1].el.post('b2');
        await waitUntil(() => log.length === 8, 15_000, 'eight deliveries');
        expect(log).to.deep.equal([
          [0, 'b1'],
          [2, 'b1'],
          [1, 'a1'],
          [2, 'a1'],
          [0, 'c1'],
          [1, 'c1'],
          [0, 'b2'],
          [2, 'b2'],
        ]);
      });

      it('an element opened after a post never receives it', async () => {
        const name = uniqueName();
        const a = await channelHere(name, { transport });
        a.el.post('before');
        const late = await channelHere(name, { transport });
        a.el.post('sentinel');
        await waitUntil(() => late.messages.length === 1, 15_000, 'the sentinel');
        expect(late.messages.map((event) => event.data)).to.deep.equal(['sentinel']);
      });

      it('two elements of another tab posting alternately arrive in posting order', async () => {
        const name = uniqueName();
        const here = await channelHere(name, { transport });
        const tab = await Tab.open();
        await tab.eval(`(async () => {
          window.pair = [0, 1].map(() => {
            const el = document.createElement('tab-channel');
            el.name = '${name}';
            el.transport = '${transport}';
            document.body.append(el);
            return el;
          });
          // Inside one runner command, which must answer within 20 s.
          const end = Date.now() + 10000;
          while (window.pair.some((el) => el.state !== 'open') && Date.now() < end) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          for (let i = 0; i < 10; i++) window.pair[i % 2].post(i);
          return true;
        })()`);
        await waitUntil(() => here.messages.length === 10, 30_000, 'ten messages');
        expect(here.messages.map((event) => event.data)).to.deep.equal([...Array(10).keys()]);
      });

      if (transport === 'storage' || transport === 'cookie') {
        it('post(undefined) throws DataCloneError: a message must round-trip through JSON', async () => {
          const here = await channelHere(uniqueName(), { transport });
          for (const value of [undefined, new Map([[1, 2]]), NaN, new Date(0), Array(2)]) {
            expect(() => here.el.post(value))
              .to.throw(DOMException)
              .with.property('name', 'DataCloneError');
          }
        });
      } else {
        it('undefined arrives as undefined', async () => {
          const name = uniqueName();
          const a = await channelHere(name, { transport });
          const b = await channelHere(name, { transport });
          a.el.post(undefined);
          await waitUntil(() => b.messages.length === 1, 15_000, 'the message');
          expect(b.messages[0].data).to.equal(undefined);
        });
      }
    });
  }

  describe('cleanup', () => {
    it('storage: removing the element removes its key and its storage listener', async () => {
      const before = ownStorageKeys().length;
      const here = await channelHere(uniqueName(), { transport: 'storage' });
      here.el.post('x');
      expect(ownStorageKeys()).to.have.length(before + 1);
      expect(await listenerTypes()).to.include('storage');
      here.el.remove();
      expect(ownStorageKeys()).to.have.length(before);
      expect(await listenerTypes()).not.to.include('storage');
    });

    it('cookie: the cookie it wrote expires soon after the last channel here is removed', async () => {
      const here = await channelHere(uniqueName(), { transport: 'cookie' });
      const marker = uniqueName('marker');
      here.el.post(marker);
      // One cookie per page (and domain): its channels write through it in posting order.
      const written = document.cookie
        .split('; ')
        .filter((cookie) => cookie.startsWith('tab-channel.') && cookie.includes(marker))
        .map((cookie) => cookie.split('=')[0]);
      expect(written).to.have.length(1);
      here.el.remove();
      await waitUntil(() => !cookieNames().includes(written[0]), 15_000, 'the cookie to expire');
    });

    it('idb: messages older than the TTL are deleted by the next reader', async () => {
      const name = uniqueName();
      const writer = new IdbChannel(name, { ttl: 200 });
      writer.postMessage('kept a while');
      writer.close();
      await waitUntil(async () => (await idbRows(name)) === 1, 15_000, 'the row');
      // The TTL counts from when a reader first saw the row (monotonic clock), so no wait here.
      const reader = new IdbChannel(name, { ttl: 200 });
      await waitUntil(async () => (await idbRows(name)) === 0, 15_000, 'the sweep');
      reader.close();
    });

    for (const step of [3_600_000, -3_600_000]) {
      it(
        faultRun(
          `idb: the TTL sweep keeps time on the monotonic clock (a sweeper's wall clock ${step > 0 ? 'ahead' : 'behind'} by 1 h)`,
        ),
        async () => {
          const name = uniqueName();
          const peer = '/test/fixtures/channel-peer.html';
          const sweeper = await Tab.open(peer, 'window.tabReady === true', {
            steppableClock: true,
          });
          await sweeper.eval(`window.peer.open('s', 'idb', '${name}', { ttl: 1000 })`);
          await sweeper.eval(`stepClock(${step})`);
          const writer = await Tab.open(peer);
          await writer.eval(`window.peer.open('w', 'idb', '${name}')`);
          const reader = new IdbChannel(name);
          const received: unknown[] = [];
          reader.onmessage = (event) => received.push(event.data);
          try {
            await reader.ready;
            await writer.eval(
              `(() => { for (let i = 0; i < 5; i++) window.peer.post('w', i); return true; })()`,
            );
            // Ahead, the old wall-clock sweep deleted fresh rows before readers read them;
            // behind, it never deleted anything.
            await waitUntil(() => received.length === 5, 15_000, 'five messages');
            expect(received).to.deep.equal([0, 1, 2, 3, 4]);
            // The sweeper is another tab, maybe in the background (timers throttled to 1/s): it
            // reads on its own schedule, and must read all five before it deletes them.
            await waitUntil(
              async () =>
                ((await sweeper.eval(`window.peer.received('s')`)) as unknown[]).length >= 5,
              30_000,
              "the sweeper's five",
            );
            expect(await sweeper.eval(`window.peer.received('s')`)).to.deep.equal([0, 1, 2, 3, 4]);
            await waitUntil(
              async () => (await idbRows(name)) === 0,
              30_000,
              'the sweep after the TTL',
            );
          } finally {
            reader.close();
          }
        },
      );
    }

    it(
      faultRun('1,000 connect/disconnect cycles per transport leave no key, cookie or listener'),
      async function () {
        this.timeout(90_000);
        const name = uniqueName();
        const keys = ownStorageKeys().length;
        const cookies = cookieNames();
        for (const transport of fallbacks) {
          const el = document.createElement('tab-channel');
          el.name = name;
          el.transport = transport;
          for (let i = 0; i < 1000; i++) {
            document.body.append(el);
            await el.updateComplete;
            el.remove();
          }
          const errors = record<RealtimeErrorEvent>(el, 'error');
          document.body.append(el);
          // idb: the last open waits behind the 1,000 before it (IndexedDB's connection queue):
          // under 1 s alone, over 10 s in a loaded full run. The claim here is what is left behind.
          await waitUntil(() => el.state === 'open', 30_000, `${transport} open`).catch((error) => {
            throw new Error(
              `${(error as Error).message}: ${el.state} ${errors.map((e) => e.message).join()}`,
            );
          });
          el.remove();
        }
        expect(ownStorageKeys()).to.have.length(keys);
        expect(cookieNames().filter((cookie) => !cookies.includes(cookie))).to.deep.equal([]);
        expect(await listenerTypes()).not.to.include('storage');
      },
    );
  });

  describe('auto', () => {
    it('picks BroadcastChannel where it exists, cookie when a domain is set', async () => {
      const plain = await channelHere(uniqueName());
      expect(plain.el.transport).to.equal('auto');
      expect(plain.el.activeTransport).to.equal('broadcast');
      const withDomain = await channelHere(uniqueName(), { domain: location.hostname });
      if (engine === 'webkit') {
        // WebKit refuses a cookie with Domain=localhost, this page's host. The cookie transport
        // is still the one picked, and it says at once that it cannot work here, rather than
        // opening a channel that loses every post. Between real sibling hosts (below) the cookie
        // transport works in WebKit.
        expect(withDomain.el.state).to.equal('error');
        expect(withDomain.errors.map((event) => event.code)).to.deep.equal(['unsupported']);
        expect(withDomain.errors[0].message).to.include('refused a cookie for localhost');
        return;
      }
      expect(withDomain.el.activeTransport).to.equal('cookie');
    });

    it('falls back to storage in a tab without BroadcastChannel, and still reaches other tabs', async () => {
      const name = uniqueName();
      const here = await channelHere(name, { transport: 'storage' });
      const tab = await Tab.open();
      await tab.eval(`(() => { delete window.BroadcastChannel; return true; })()`);
      await channelIn(tab, name);
      expect(await tab.eval('window.channel.activeTransport')).to.equal('storage');
      await tab.eval(`(() => { window.channel.post('no BroadcastChannel here'); return true; })()`);
      await waitUntil(() => here.messages.length === 1, 15_000, 'the message');
      expect(here.messages[0].data).to.equal('no BroadcastChannel here');
    });
  });

  describe('sibling subdomains (cookie with domain)', () => {
    const at = (host: string) =>
      `http://${host}.example.test:${location.port}/test/fixtures/tab.html`;

    it('reaches a sibling host through a cookie for the parent domain, with the sender origin', async () => {
      const name = uniqueName();
      const a = await Tab.open(at('a'));
      const b = await Tab.open(at('b'));
      await channelIn(a, name, 'transport="cookie" domain="example.test"');
      await channelIn(b, name, 'domain="example.test"');
      expect(await b.eval('window.channel.activeTransport')).to.equal('cookie');
      await b.eval(`(() => {
        window.origins = [];
        window.channel.addEventListener('message', (event) => window.origins.push(event.origin));
        return true;
      })()`);
      await a.eval(`(() => { window.channel.post({ hello: 'sibling' }); return true; })()`);
      const log = await b.waitFor<{ data: unknown }[]>('window.log.length && window.log');
      expect(log).to.deep.equal([{ type: 'message', data: { hello: 'sibling' }, code: null }]);
      expect(await b.eval('window.origins')).to.deep.equal([
        `http://a.example.test:${location.port}`,
      ]);
    });

    it('does not reach a sibling host without the domain attribute', async () => {
      const name = uniqueName();
      const a = await Tab.open(at('a'));
      const b = await Tab.open(at('b'));
      await channelIn(a, name, 'transport="cookie"');
      await channelIn(b, name, 'transport="cookie"');
      const b2 = await Tab.open(at('b'));
      await channelIn(b2, name, 'transport="cookie"');
      await a.eval(`(() => { window.channel.post('host only'); return true; })()`);
      await b2.eval(`(() => { window.channel.post('sentinel'); return true; })()`);
      const log = await b.waitFor<{ data: unknown }[]>('window.log.length && window.log');
      expect(log.map((entry) => entry.data)).to.deep.equal(['sentinel']);
    });
  });

  describe('errors', () => {
    it('cookie: post throws RangeError for a message larger than a cookie carries', async () => {
      const here = await channelHere(uniqueName(), { transport: 'cookie' });
      expect(() => here.el.post('x'.repeat(4000))).to.throw(RangeError, /at most \d+/);
      here.el.post('x'.repeat(1000));
    });

    it('cookie: a too-large post queued while loading is reported as too-large', async () => {
      const el = document.createElement('tab-channel');
      el.name = uniqueName();
      el.transport = 'cookie';
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      el.post('x'.repeat(4000));
      await waitUntil(() => errors.length === 1, 15_000, 'the error');
      expect(errors[0].code).to.equal('too-large');
      expect(el.state).to.equal('open');
    });

    it('storage: post throws QuotaExceededError when localStorage is full', async () => {
      const here = await channelHere(uniqueName(), { transport: 'storage' });
      expect(() => here.el.post('x'.repeat(12 * 1024 * 1024)))
        .to.throw(DOMException)
        .with.property('name', 'QuotaExceededError');
    });

    it('storage and cookie: post throws DataCloneError for what JSON cannot carry', async () => {
      for (const transport of ['storage', 'cookie']) {
        const here = await channelHere(uniqueName(), { transport });
        expect(() => here.el.post({ big: 1n }))
          .to.throw(DOMException)
          .with.property('name', 'DataCloneError');
      }
    });

    it('reports queue-full past 1,000 posts while the transport loads', async () => {
      const el = document.createElement('tab-channel');
      el.name = uniqueName();
      el.transport = 'idb';
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      for (let i = 0; i < 1001; i++) el.post(i);
      expect(errors.map((e) => e.code)).to.deep.equal(['queue-full']);
    });

    it('reports invalid-attribute for an unknown transport and a foreign domain', async () => {
      const unknown = await channelHere(uniqueName(), { transport: 'pigeon' });
      expect(unknown.errors.map((e) => e.code)).to.deep.equal(['invalid-attribute']);
      expect(unknown.el.state).to.equal('error');
      const foreign = await channelHere(uniqueName(), { domain: 'example.com' });
      expect(foreign.errors.map((e) => e.code)).to.deep.equal(['invalid-attribute']);
      expect(foreign.errors[0].message).to.contain('example.com');
    });

    it('storage: reports deserialize-failed for an unreadable entry', async () => {
      const name = uniqueName();
      const here = await channelHere(name, { transport: 'storage' });
      const tab = await Tab.open();
      await tab.eval(
        `(() => { localStorage.setItem('realtime-elements/tab-channel:garbage', '{not json'); localStorage.removeItem('realtime-elements/tab-channel:garbage'); return true; })()`,
      );
      await waitUntil(() => here.errors.length === 1, 15_000, 'the error');
      expect(here.errors[0].code).to.equal('deserialize-failed');
      expect(here.el.state).to.equal('open');
    });

    it(
      faultRun('cookie: a reader hung longer than the hold time reports message-lost'),
      async () => {
        const name = uniqueName();
        const here = await channelHere(name, { transport: 'cookie' });
        const tab = await Tab.open();
        await channelIn(tab, name, 'transport="cookie"');
        here.el.post('seen');
        await tab.waitFor('window.log.length === 1');
        // A real hang: the reader's timers stop for 4 s while the writer fills its cookie.
        await tab.eval(`(() => {
        setTimeout(() => { const end = Date.now() + 4000; while (Date.now() < end); }, 0);
        return true;
      })()`);
        for (let i = 0; i < 150; i++) {
          here.el.post(`message ${i} `.padEnd(100, '.'));
          await sleep(20);
        }
        const log = await tab.waitFor<{ type: string; code: string }[]>(
          `window.log.some((entry) => entry.code === 'message-lost') && window.log`,
          15_000,
        );
        const delivered = log.filter((entry) => entry.type === 'message');
        expect(delivered.length).to.be.below(151);
        expect(log.filter((entry) => entry.code === 'message-lost')).to.have.length.of.at.least(1);
      },
    );

    // A loss on one channel name is not another name's loss: a reader that listens to a quiet
    // channel only hears nothing of a busy channel's messages swept past it (CI once saw a
    // concurrent test's busy cookie reported on an unrelated channel).
    for (const transport of ['cookie', 'idb']) {
      it(
        faultRun(
          `${transport}: a hung reader of a quiet channel hears no message-lost for a busy channel it never joined`,
        ),
        async function () {
          // A 4 s hang, 150 paced posts and a second tab: more than mocha's 20 s on a loaded machine.
          this.timeout(90_000);
          const quiet = uniqueName('quiet');
          const busy = uniqueName('busy');
          const reader = await Tab.open();
          await channelIn(reader, quiet, `transport="${transport}"`);
          // The writer here: the busy channel's rows are swept after 200 ms (idb) or pushed out of
          // the cookie after its 1.5 s hold while the reader hangs.
          const make = (name: string) =>
            transport === 'idb' ? new IdbChannel(name, { ttl: 200 }) : new CookieChannel(name);
          const writes = make(busy);
          const quietHere = make(quiet);
          if (writes instanceof IdbChannel) await writes.ready;
          if (quietHere instanceof IdbChannel) await quietHere.ready;
          try {
            quietHere.postMessage('before');
            await reader.waitFor(`window.log.some((entry) => entry.data === 'before')`, 15_000);
            await reader.eval(`(() => {
          setTimeout(() => { const end = Date.now() + 4000; while (Date.now() < end); }, 0);
          return true;
        })()`);
            for (let i = 0; i < 150; i++) {
              writes.postMessage(`busy ${i} `.padEnd(100, '.'));
              await sleep(20);
            }
            // 'after' only once the reader runs again: posted while it still hangs, a 200 ms ttl
            // would sweep it too, a real loss on the quiet channel.
            await reader.eval('true');
            quietHere.postMessage('after');
            const log = await reader.waitFor<{ type: string; data?: unknown; code?: string }[]>(
              `window.log.some((entry) => entry.data === 'after') && window.log`,
              20_000,
            );
            expect(
              log.map((entry) => entry.code ?? entry.data),
              JSON.stringify(log),
            ).to.deep.equal(['before', 'after']);
          } finally {
            writes.close();
            quietHere.close();
          }
        },
      );
    }

    // Another tab's channel opening writes `probe` for a moment (does the browser take cookies?):
    // a full run under load once caught it in this tab's scan, as an unreadable cookie.
    it("cookie: another tab's probe cookie, read while that tab's channel opens, is no unreadable cookie", async () => {
      const probe = `tab-channel.zz-probe-${uniqueName()}`;
      try {
        const name = uniqueName();
        const here = await channelHere(name, { transport: 'cookie' });
        const tab = await Tab.open();
        await channelIn(tab, name, 'transport="cookie"');
        // The jar as this tab reads it between the other tab's two writes.
        document.cookie = `${probe}=probe; path=/; max-age=60`;
        // A message after it: the scan that delivers it has read the probe too.
        await tab.eval(`(() => { window.channel.post('after'); return true; })()`);
        await waitUntil(() => here.messages.length === 1, 30_000, 'the message');
        expect(here.errors.map((e) => [e.code, e.message])).to.deep.equal([]);
      } finally {
        document.cookie = `${probe}=; path=/; max-age=0`;
      }
    });

    it('cookie: an unreadable cookie is reported once when it appears, never again, and not when it stood there before', async () => {
      const before = `tab-channel.zz-before-${uniqueName()}`;
      const later = `tab-channel.zz-later-${uniqueName()}`;
      document.cookie = `${before}=%7Bbroken; path=/; max-age=60`;
      try {
        const name = uniqueName();
        const here = await channelHere(name, { transport: 'cookie' });
        const tab = await Tab.open();
        await channelIn(tab, name, 'transport="cookie"');
        await tab.eval(`(() => { window.channel.post(1); return true; })()`);
        await waitUntil(() => here.messages.length === 1, 15_000, 'the first message');
        document.cookie = `${later}=%7Bbroken; path=/; max-age=60`;
        for (let i = 2; i <= 4; i++)
          await tab.eval(`(() => { window.channel.post(${i}); return true; })()`);
        await waitUntil(() => here.messages.length === 4, 15_000, 'four messages');
        expect(here.messages.map((event) => event.data)).to.deep.equal([1, 2, 3, 4]);
        expect(here.errors.map((event) => event.code)).to.deep.equal(['deserialize-failed']);
      } finally {
        document.cookie = `${before}=; path=/; max-age=0`;
        document.cookie = `${later}=; path=/; max-age=0`;
      }
    });
  });

  describe('IdbChannel', () => {
    it('a reader gets what was posted after it was made, before its database opened', async () => {
      const name = uniqueName();
      const writer = new IdbChannel(name);
      writer.postMessage('before the reader');
      await waitUntil(async () => (await idbRows(name)) === 1, 15_000, 'the writer to store');
      const received: unknown[] = [];
      const reader = new IdbChannel(name);
      reader.onmessage = (event) => received.push(event.data);
      // The writer's database is open, so this row is stored before the reader's opens.
      writer.postMessage('after the reader');
      try {
        writer.postMessage('sentinel');
        await waitUntil(() => received.length === 2, 15_000, 'the message');
        expect(received).to.deep.equal(['after the reader', 'sentinel']);
      } finally {
        writer.close();
        reader.close();
      }
    });

    it('goes on when another page deletes the database (the connection closed under it)', async () => {
      const name = uniqueName();
      const peer = '/test/fixtures/channel-peer.html';
      const writer = await Tab.open(peer);
      await writer.eval(`window.peer.open('w', 'idb', '${name}')`);
      const reader = new IdbChannel(name);
      const received: unknown[] = [];
      const errors: string[] = [];
      reader.onmessage = (event) => received.push(event.data);
      reader.onerror = (event) => errors.push(event.code);
      try {
        await reader.ready;
        await writer.eval(
          `(() => { for (let i = 0; i < 20; i++) window.peer.post('w', i); return true; })()`,
        );
        await waitUntil(() => received.length === 20, 15_000, 'the first messages');
        // Blocked until every connection closes: each channel lets it go, then opens anew.
        const cleaner = await Tab.open();
        expect(
          await cleaner.eval(`new Promise((resolve) => {
            const request = indexedDB.deleteDatabase('realtime-elements-tab-channel');
            request.onsuccess = () => resolve('deleted');
            request.onerror = () => resolve('failed');
            request.onblocked = () => {};
          })`),
        ).to.equal('deleted');
        await writer.eval(
          `(() => { for (let i = 20; i < 25; i++) window.peer.post('w', i); return true; })()`,
        );
        await waitUntil(() => received.length === 25, 15_000, 'the messages after the deletion');
        expect(received).to.deep.equal([...Array(25).keys()]);
        expect(errors).to.deep.equal([]);
      } finally {
        reader.close();
      }
    });

    it('a module worker posts to a <tab-channel transport="idb">', async () => {
      const name = uniqueName();
      const here = await channelHere(name, { transport: 'idb' });
      const source = `
        import { IdbChannel } from '${new URL('/src/transports/idb-channel.ts', location.href)}';
        const channel = new IdbChannel(${JSON.stringify(name)});
        channel.onmessage = (event) => postMessage({ echoed: event.data });
        channel.postMessage('from a worker');
        postMessage('ready');
      `;
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const worker = new Worker(url, { type: 'module' });
      const fromWorker: unknown[] = [];
      worker.onmessage = (event) => fromWorker.push(event.data);
      try {
        await waitUntil(() => here.messages.length === 1, 15_000, 'the worker message');
        expect(here.messages[0].data).to.equal('from a worker');
        here.el.post('to the worker');
        await waitUntil(() => fromWorker.length === 2, 15_000, 'the worker echo');
        expect(fromWorker).to.deep.equal(['ready', { echoed: 'to the worker' }]);
      } finally {
        worker.terminate();
        URL.revokeObjectURL(url);
      }
    });
  });
});

/**
 * Red-team inputs for issue #21 (peer reports of pubkey/broadcast-channel and storage-event
 * polyfills, re-tried against each transport in real Chromium with real second tabs), native
 * `BroadcastChannel` as the control.
 */
import { expect } from '@open-wc/testing';
import '../src/tab-channel-define.js';
import { IdbChannel } from '../src/transports/idb-channel.js';
import { implementations, type Impl } from './fixtures/channel-peer.js';
import { Tab, closeAllTabs, uniqueName, waitUntil, faultRun } from './helpers.js';

type AnyChannel = InstanceType<(typeof implementations)[Impl]>;
const impls: Impl[] = ['native', 'storage', 'idb', 'cookie'];
const PEER = '/test/fixtures/channel-peer.html';

const opened: AnyChannel[] = [];
afterEach(async () => {
  for (const channel of opened.splice(0)) channel.close();
  await closeAllTabs();
});

async function open(impl: Impl, name: string, options?: object): Promise<AnyChannel> {
  const channel = options
    ? new implementations[impl](name, options)
    : new implementations[impl](name);
  opened.push(channel);
  await channel.ready;
  return channel;
}

async function tab() {
  const page = await Tab.open(PEER);
  const call = <T = unknown>(method: string, ...args: unknown[]) =>
    page.eval<T>(`window.peer.${method}(...${JSON.stringify(args)})`);
  return { page, call };
}

for (const impl of impls) {
  describe(`red team #21: ${impl}`, () => {
    it(
      faultRun('1,000 messages posted in one task reach a second tab all, once, in order'),
      async function () {
        this.timeout(60_000);
        const name = uniqueName('burst');
        const other = await tab();
        await other.call('open', 't', impl, name);
        const here = await open(impl, name);
        for (let i = 0; i < 1000; i++) here.postMessage(i);
        here.postMessage('end');
        await other.page.waitFor(`window.peer.received('t').includes('end')`, 50_000);
        const got = await other.call<unknown[]>('received', 't');
        expect(got).to.deep.equal([...Array.from({ length: 1000 }, (_, i) => i), 'end']);
      },
    );

    it('names that differ only by Unicode normalization are different channels', async () => {
      const nfc = 'caf\u00e9';
      const nfd = 'cafe\u0301';
      const base = uniqueName('norm');
      const other = await tab();
      await other.call('open', 'nfd', impl, base + nfd);
      await other.call('open', 'nfc', impl, base + nfc);
      const here = await open(impl, base + nfc);
      here.postMessage('to-nfc');
      const sentinel = await open(impl, base + nfd);
      sentinel.postMessage('to-nfd');
      await other.page.waitFor(`window.peer.received('nfd').includes('to-nfd')`, 30_000);
      await other.page.waitFor(`window.peer.received('nfc').includes('to-nfc')`, 30_000);
      expect(await other.call('received', 'nfd')).to.deep.equal(['to-nfd']);
      expect(await other.call('received', 'nfc')).to.deep.equal(['to-nfc']);
    });

    it('close() then a new channel of the same name in the same task: the new one hears what comes after, only', async () => {
      const name = uniqueName('reopen');
      const other = await tab();
      await other.call('open', 't', impl, name);
      const first = await open(impl, name);
      first.postMessage('before');
      first.close();
      const second = new implementations[impl](name);
      opened.push(second);
      const got: unknown[] = [];
      second.addEventListener('message', (e) => got.push((e as MessageEvent).data));
      await second.ready;
      second.postMessage('after');
      await other.page.waitFor(`window.peer.received('t').includes('after')`, 30_000);
      expect(await other.call('received', 't')).to.deep.equal(['before', 'after']);
      await other.call('post', 't', 'reply');
      await waitUntil(() => got.includes('reply'), 30_000, 'the reply');
      expect(got).to.deep.equal(['reply']);
    });
  });
}

describe('red team #21: idb reader stalled past the ttl', () => {
  it(
    faultRun(
      'a tab frozen by a busy loop longer than the ttl gets every message or message-lost, never a silent gap',
    ),
    async function () {
      this.timeout(60_000);
      const name = uniqueName('frozen');
      const other = await tab();
      await other.call('open', 't', 'idb', name, { ttl: 200 });
      await other.page.eval(
        `(window.errors = [], window.peer.channels.get('t').addEventListener('error', (e) => window.errors.push(e.code)), true)`,
      );
      const here = await open('idb', name, { ttl: 200 });
      here.postMessage('first');
      await other.page.waitFor(`window.peer.received('t').includes('first')`, 30_000);
      // The other tab hangs for 2 s (a busy loop) while this one posts and sweeps.
      const frozen = other.page.eval(
        `(() => { const end = performance.now() + 2000; while (performance.now() < end); return true; })()`,
      );
      await new Promise((r) => setTimeout(r, 100));
      here.postMessage('missed-1');
      here.postMessage('missed-2');
      await frozen;
      here.postMessage('end');
      await other.page.waitFor(`window.peer.received('t').includes('end')`, 30_000);
      const got = await other.call<unknown[]>('received', 't');
      const errors = await other.page.eval<string[]>('window.errors');
      if (got.length < 4) expect(errors).to.include('message-lost');
      else expect(got).to.deep.equal(['first', 'missed-1', 'missed-2', 'end']);
    },
  );
});

describe('red team #21: idb database deleted by another page (a logout that clears IndexedDB)', () => {
  it('both tabs go on delivering after deleteDatabase, in order, with nothing posted later lost', async function () {
    this.timeout(60_000);
    const name = uniqueName('deleted');
    const other = await tab();
    await other.call('open', 't', 'idb', name);
    const here = await open('idb', name);
    const got: unknown[] = [];
    here.addEventListener('message', (e) => got.push((e as MessageEvent).data));
    here.postMessage('a');
    await other.page.waitFor(`window.peer.received('t').includes('a')`, 30_000);
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase('realtime-elements-tab-channel');
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    here.postMessage('b');
    await other.page.waitFor(`window.peer.received('t').includes('b')`, 30_000);
    await other.call('post', 't', 'c');
    await waitUntil(() => got.includes('c'), 30_000, 'the reply after the delete');
    expect(await other.call('received', 't')).to.deep.equal(['a', 'b']);
    expect(got).to.deep.equal(['c']);
  });
});

describe('red team #21: storage with localStorage full from another key', () => {
  it('postMessage throws QuotaExceededError and sends nothing; once space is freed it works again', async function () {
    this.timeout(60_000);
    const name = uniqueName('full');
    const other = await tab();
    await other.call('open', 't', 'storage', name);
    const here = await open('storage', name);
    here.postMessage('small');
    const filler: string[] = [];
    try {
      for (let i = 0; ; i++) {
        const key = `redteam-filler-${i}`;
        localStorage.setItem(key, 'x'.repeat(512 * 1024));
        filler.push(key);
        if (i > 40) break;
      }
    } catch {
      // full
    }
    // Fill the last bytes too.
    try {
      for (let i = 0; ; i++) {
        localStorage.setItem(`redteam-filler-small-${i}`, 'x'.repeat(1024));
        filler.push(`redteam-filler-small-${i}`);
      }
    } catch {
      // full
    }
    try {
      expect(() => here.postMessage('y'.repeat(4096)))
        .to.throw(DOMException)
        .with.property('name', 'QuotaExceededError');
    } finally {
      for (const key of filler) localStorage.removeItem(key);
    }
    here.postMessage('after');
    await other.page.waitFor(`window.peer.received('t').includes('after')`, 30_000);
    expect(await other.call('received', 't')).to.deep.equal(['small', 'after']);
  });
});

for (const impl of impls) {
  describe(`red team #21: ${impl}, a channel closed inside its own onmessage`, () => {
    it('gets nothing more, while its sibling gets everything, in order', async function () {
      this.timeout(60_000);
      const name = uniqueName('selfclose');
      const other = await tab();
      await other.call('open', 't', impl, name);
      const a = await open(impl, name);
      const b = await open(impl, name);
      const toA: unknown[] = [];
      const toB: unknown[] = [];
      a.addEventListener('message', (e) => {
        toA.push((e as MessageEvent).data);
        a.close();
      });
      b.addEventListener('message', (e) => toB.push((e as MessageEvent).data));
      await other.page.eval(
        `(window.peer.post('t', 1), window.peer.post('t', 2), window.peer.post('t', 3), true)`,
      );
      await waitUntil(() => toB.length === 3, 30_000, 'three at b');
      expect(toA).to.deep.equal([1]);
      expect(toB).to.deep.equal([1, 2, 3]);
    });
  });
}

for (const transport of ['broadcast', 'storage', 'idb', 'cookie']) {
  describe(`red team #21: <tab-channel transport="${transport}">`, () => {
    it(
      faultRun(
        '1,000 posts right after insertion (while the transport loads) reach a second tab all, in order',
      ),
      async function () {
        this.timeout(60_000);
        const name = uniqueName('el-burst');
        const other = await Tab.open();
        await other.eval(`(() => {
        const holder = document.createElement('div');
        holder.innerHTML = '<tab-channel name="${name}" transport="${transport}"></tab-channel>';
        window.channel = window.record(holder.firstElementChild, 'message', 'error');
        document.body.append(window.channel);
        return true;
      })()`);
        await other.waitFor(`window.channel.state === 'open'`);
        const el = document.createElement('tab-channel');
        el.name = name;
        el.setAttribute('transport', transport);
        const errors: string[] = [];
        el.addEventListener('error', (e) => errors.push((e as Event & { code: string }).code));
        document.body.append(el);
        try {
          for (let i = 0; i < 999; i++) el.post(i);
          el.post('end');
          await other.waitFor(`window.log.some((entry) => entry.data === 'end')`, 50_000);
          const log = await other.eval<{ type: string; data: unknown }[]>('window.log');
          expect(log.map((entry) => entry.data)).to.deep.equal([
            ...Array.from({ length: 999 }, (_, i) => i),
            'end',
          ]);
          expect(errors).to.deep.equal([]);
        } finally {
          el.remove();
        }
      },
    );
  });
}

describe('red team #21: idb open held up by a connection that never yields (an older tab)', () => {
  it(
    faultRun(
      'a new channel does not hang silently: it reports unsupported, and opens once the blocker goes',
    ),
    async function () {
      this.timeout(60_000);
      const name = uniqueName('blocked');
      // An old tab's connection without onversionchange holds the database; a page deletes it
      // (blocked), so every later open waits behind the delete.
      const old = await Tab.open();
      await old.eval(`new Promise((resolve) => {
      const request = indexedDB.open('realtime-elements-tab-channel');
      request.onsuccess = () => { window.held = request.result; resolve(true); };
    })`);
      const deleting = indexedDB.deleteDatabase('realtime-elements-tab-channel');
      const blocked = new Promise((resolve) => (deleting.onblocked = resolve));
      await blocked;
      const channel = new IdbChannel(name);
      opened.push(channel);
      const errors: string[] = [];
      channel.addEventListener('error', (e) => errors.push((e as Event & { code: string }).code));
      let ready = false;
      void channel.ready.then(() => (ready = true));
      try {
        await waitUntil(() => ready || errors.length > 0, 15_000, 'the channel opens or reports');
        expect(errors).to.deep.equal(['unsupported']);
      } finally {
        await old.eval('(window.held.close(), true)');
      }
      // Once the old connection goes, the channel opens after all and delivers.
      await channel.ready;
      const other = await tab();
      await other.call('open', 't', 'idb', name);
      channel.postMessage('after');
      await other.page.waitFor(`window.peer.received('t').includes('after')`, 30_000);
      expect(await other.call('received', 't')).to.deep.equal(['after']);
    },
  );
});

describe('red team #21: <tab-channel transport="idb"> while IndexedDB is blocked', () => {
  it(
    faultRun(
      'reports unsupported while connecting (state stays connecting), then opens once the blocker goes',
    ),
    async function () {
      this.timeout(60_000);
      const name = uniqueName('el-blocked');
      const old = await Tab.open();
      await old.eval(`new Promise((resolve) => {
      const request = indexedDB.open('realtime-elements-tab-channel');
      request.onsuccess = () => { window.held = request.result; resolve(true); };
    })`);
      const deleting = indexedDB.deleteDatabase('realtime-elements-tab-channel');
      await new Promise((resolve) => (deleting.onblocked = resolve));
      const el = document.createElement('tab-channel');
      el.name = name;
      el.setAttribute('transport', 'idb');
      const errors: string[] = [];
      el.addEventListener('error', (e) => errors.push((e as Event & { code: string }).code));
      document.body.append(el);
      try {
        el.post('queued');
        try {
          await waitUntil(() => errors.length > 0, 15_000, 'the report');
          expect(errors).to.deep.equal(['unsupported']);
          expect(el.state).to.equal('connecting');
        } finally {
          await old.eval('(window.held.close(), true)');
        }
        await waitUntil(() => el.state === 'open', 15_000, 'open after the blocker went');
      } finally {
        el.remove();
      }
    },
  );
});

describe('red team #21: storage, a tab whose wall clock stands 2 h ahead opens a channel', () => {
  it('its start still covers the live keys its clock calls stale, so no earlier post can reach it', async function () {
    this.timeout(60_000);
    const name = uniqueName('ahead');
    const here = await open('storage', name);
    here.postMessage('before');
    const key = Object.keys(localStorage).find(
      (k) =>
        k.startsWith('realtime-elements/tab-channel:') &&
        localStorage.getItem(k)!.includes(JSON.stringify(name)),
    )!;
    const q = (JSON.parse(localStorage.getItem(key)!) as { q: number }).q;
    const page = await Tab.open(PEER, 'window.tabReady === true', { steppableClock: true });
    await page.stepClock(2 * 3600_000);
    await page.eval(`window.peer.open('t', 'storage', ${JSON.stringify(name)})`);
    // The sweep of crashed tabs' keys may read the wall clock; the channel's start must not.
    expect(
      await page.eval(`window.peer.channels.get('t').floor.get(${JSON.stringify(key)}) ?? 0`),
    ).to.equal(q);
    here.postMessage('after');
    await page.waitFor(`window.peer.received('t').includes('after')`, 30_000);
    expect(await page.eval(`window.peer.received('t')`)).to.deep.equal(['after']);
  });
});

for (const impl of impls) {
  describe(`red team #21: ${impl}, long names and re-entrant posts`, () => {
    it('a 2,000-character name reaches a second tab (cookie: RangeError, nothing sent)', async function () {
      this.timeout(60_000);
      const name = uniqueName('long') + 'n'.repeat(2000);
      const other = await tab();
      await other.call('open', 't', impl, name);
      const here = await open(impl, name);
      if (impl === 'cookie') {
        // README: a message ≤ about 3.7 KB with its channel name.
        expect(() => here.postMessage('x'.repeat(2000))).to.throw(RangeError);
      }
      // Both joined before the post that counts: WebKit registers a new native channel with its
      // other processes asynchronously, and a post made meanwhile is lost (whatwg/html#7267).
      const heard: unknown[] = [];
      here.addEventListener('message', (event) => heard.push((event as MessageEvent).data));
      await waitUntil(
        async () => heard.includes('joined') || void (await other.call('post', 't', 'joined')),
        10_000,
        'this channel hearing the other tab',
      );
      here.postMessage('x');
      await other.page.waitFor(`window.peer.received('t').includes('x')`, 30_000);
      expect(await other.call('received', 't')).to.deep.equal(['x']);
    });

    it('a post from inside onmessage reaches a third channel after what it answers, once', async function () {
      this.timeout(60_000);
      const name = uniqueName('reenter');
      const other = await tab();
      await other.call('open', 't', impl, name);
      const a = await open(impl, name);
      const b = await open(impl, name);
      const toB: unknown[] = [];
      a.addEventListener('message', (e) => {
        if ((e as MessageEvent).data === 'm1') a.postMessage('r1');
      });
      b.addEventListener('message', (e) => toB.push((e as MessageEvent).data));
      await other.page.eval(`(window.peer.post('t', 'm1'), window.peer.post('t', 'm2'), true)`);
      await waitUntil(() => toB.length === 3, 30_000, 'three at b');
      // Causal order only: HTML orders a reply after what it answers, but not against a post of
      // another tab still in flight (native Chromium happens to batch m1 and m2; storage events
      // are one task each, so r1 may come between).
      expect(toB[0]).to.equal('m1');
      expect([...toB].sort()).to.deep.equal(['m1', 'm2', 'r1']);
      await other.page.waitFor(`window.peer.received('t').includes('r1')`, 30_000);
      expect(await other.call('received', 't')).to.deep.equal(['r1']);
    });
  });
}

describe('red team #22: idb, the last channel of a page closed and a new one made while a poll reads', () => {
  it('every row reaches a channel once, in order (no second poll loop reads the same rows)', async function () {
    this.timeout(60_000);
    const seed = Date.now() % 100_000;
    /** mulberry32, so a failing run can be replayed from its seed. */
    let state = seed;
    const random = () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const name = uniqueName('reopen');
    // Another global posts: a worker, whose timers no background throttling slows.
    const poster = new Worker(PEER.replace('.html', '.ts'), { type: 'module' });
    const call = (method: string, ...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const seq = Math.random();
        poster.addEventListener('message', function reply({ data }: MessageEvent) {
          if (data.seq !== seq) return;
          poster.removeEventListener('message', reply);
          if (data.error) reject(new Error(data.error));
          else resolve(data.value);
        });
        poster.postMessage({ call: method, args, seq });
      });
    try {
      await call('open', 't', 'idb', name);
      await call('stream', 't', 4);
      const lists: number[][] = [];
      let last: AnyChannel | undefined;
      // Closing the page's only channel closes its connection; a new channel opens another. Each
      // cycle lands at a random point of the 100 ms poll, so some land while a poll reads.
      for (let cycle = 0; cycle < 25; cycle++) {
        last?.close();
        const channel = new implementations.idb(name);
        opened.push(channel);
        const got: number[] = [];
        lists.push(got);
        channel.addEventListener('message', (e) => got.push((e as MessageEvent).data as number));
        last = channel;
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 150)));
      }
      // A channel receives what is posted once it is `ready` (its database open): under load
      // that can be long after it was made.
      await last!.ready;
      const final = (await call('finish')) as number;
      await waitUntil(() => lists.at(-1)!.includes(final), 30_000, 'the last post').catch(
        (error: Error) => {
          const got = lists.map((list) => `${list.length}:${list.slice(-3).join(',')}`);
          throw new Error(
            `${error.message} (seed ${seed}; final ${final}; got ${got.join(' | ')})`,
          );
        },
      );
      const newest = lists.at(-1)!;
      for (const [index, got] of lists.entries()) {
        const ordered = got.every((value, i) => i === 0 || value === got[i - 1] + 1);
        expect(ordered, `seed ${seed}: channel ${index} got ${JSON.stringify(got)}`).to.equal(true);
      }
      expect(newest.at(-1), `seed ${seed}`).to.equal(final);
    } finally {
      poster.terminate();
    }
  });
});

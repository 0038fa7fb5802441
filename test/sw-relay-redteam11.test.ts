// Red team 10b's last open inputs of `<sw-relay>` (README "## `<sw-relay>`"), fixed in session
// 11: back from the back/forward cache a relay heard `message-lost` for posts of a channel it
// never listened to; a removed relay's post made right after `skipWaiting()` was lost. Each test
// is the input as the red team wrote it, then more of the same kind (one more, across a worker
// restart, is in test/sw-relay-bfcache.test.ts: Chromium only). Real tabs, real service
// workers (test/e2e/sw-test-server.mjs).
import { expect } from '@open-wc/testing';
import '../src/sw-relay-define.js';
import { Tab, engine, prng, record, uniqueName, waitUntil } from './helpers.js';
import type { SwRelayElement } from '../src/sw-relay.js';
import {
  cachedAgain,
  cleanUp,
  installUpdate,
  relayHere,
  relayIn,
  relayTab,
} from './sw-relay-helpers.js';

interface Entry {
  type: string;
  n?: number;
  code?: string;
  message?: string;
}

/** `tab`'s entries (relayTab), errors by code, messages by `n`. */
const entriesOf = async (tab: Tab) => {
  const log = await tab.eval<Entry[]>('window.entries');
  return {
    got: log.map(({ type, n, code }) => (type === 'error' ? { type, code } : { type, n })),
    raw: JSON.stringify(log),
  };
};

describe(`red team 10b: <sw-relay> back from the back/forward cache (${engine})`, () => {
  afterEach(cleanUp);

  // Peers: centrifugal/centrifuge-js#37 (recovery reports what it should not), the
  // `recovered: false` of a whole connection when one channel's history was trimmed
  // (centrifugal/centrifugo#798). README: "What it cannot have is reported … as an `error` with
  // code `message-lost`, never skipped silently"; "`message-lost` when it cannot know". Here it
  // can know: the worker keeps each post's channel, and the page knows the channels it listens
  // to. The tab listens on `x` only; while it is in the cache this page posts 3 times on `y`
  // (another feature of the app, same worker, which keeps 2: keep-2-worker.js) and nothing on
  // `x`. Seen: back, the tab's `x` relay fires `message-lost` ("1 of them are no longer kept")
  // — a resync for nothing, after every busy spell of any channel of the origin.
  it('back from the cache, a relay gets no message-lost for posts of another channel it never listened to', async () => {
    const [x, y] = [uniqueName('rt10b-x'), uniqueName('rt10b-y')];
    const src = '/sw-test/keep-2-worker.js';
    const hereX = await relayHere<{ n: number }>(x, src);
    const hereY = await relayHere<{ n: number }>(y, src);
    const tab = await relayTab(x, src);
    hereX.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const cached = await cachedAgain(tab, async () => {
      for (const n of [101, 102, 103]) hereY.post({ n });
      await hereY.request({ n: 0 }); // answered after the three are relayed
    });
    if (!cached) return;
    // A live post after the catch-up: an error would have come before it.
    hereX.post({ n: 2 });
    await tab.waitFor(`window.entries.some((e) => e.n === 2)`, 15_000);
    const { got, raw } = await entriesOf(tab);
    expect(got, raw).to.deep.equal([
      { type: 'message', n: 1 },
      { type: 'message', n: 2 },
    ]);
  });

  // The same kind, the other way: posts of the tab's own channel that the worker dropped, among
  // posts of another channel, are still reported (never a missed real one), and only once.
  it('back from the cache, posts of its own channel no longer kept among another channel’s: message-lost, then the kept ones', async () => {
    const [x, y] = [uniqueName('rt11-x'), uniqueName('rt11-y')];
    const src = '/sw-test/keep-2-worker.js';
    const hereX = await relayHere<{ n: number }>(x, src);
    const hereY = await relayHere<{ n: number }>(y, src);
    const tab = await relayTab(x, src);
    hereX.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const cached = await cachedAgain(tab, async () => {
      hereX.post({ n: 2 }); // dropped by the worker (it keeps 2): lost for the tab
      for (const n of [101, 102]) hereY.post({ n });
      hereX.post({ n: 3 });
      await hereY.request({ n: 0 });
    });
    if (!cached) return;
    hereX.post({ n: 4 });
    await tab.waitFor(`window.entries.some((e) => e.n === 4)`, 15_000);
    const { got, raw } = await entriesOf(tab);
    expect(got, raw).to.deep.equal([
      { type: 'message', n: 1 },
      { type: 'error', code: 'message-lost' },
      { type: 'message', n: 3 },
      { type: 'message', n: 4 },
    ]);
  });

  // A channel the page did not listen to while it was away: a relay of it opened after the
  // restore missed nothing (it was not listening), even where that channel's posts were dropped.
  it('a relay opened after the restore, on a channel whose posts the worker dropped meanwhile, gets no message-lost', async () => {
    const [x, y] = [uniqueName('rt11-x'), uniqueName('rt11-y')];
    const src = '/sw-test/keep-2-worker.js';
    const hereX = await relayHere<{ n: number }>(x, src);
    const hereY = await relayHere<{ n: number }>(y, src);
    const tab = await relayTab(x, src);
    hereX.post({ n: 1 });
    await tab.waitFor(`window.entries.some((e) => e.n === 1)`);

    const cached = await cachedAgain(tab, async () => {
      for (const n of [101, 102, 103]) hereY.post({ n });
      await hereY.request({ n: 0 });
    });
    if (!cached) return;
    await tab.eval(`(async () => {
      const el = (window.late = document.createElement('sw-relay'));
      el.setAttribute('name', ${JSON.stringify(y)});
      el.setAttribute('src', ${JSON.stringify(src)});
      window.lateEntries = [];
      for (const type of ['message', 'error'])
        el.addEventListener(type, (event) => window.lateEntries.push({ type, n: event.data?.n, code: event.code }));
      document.body.append(el);
      while (el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
      return true;
    })()`);
    hereX.post({ n: 2 });
    hereY.post({ n: 104 });
    await tab.waitFor(`window.entries.some((e) => e.n === 2)`, 15_000);
    await tab.waitFor(`window.lateEntries.some((e) => e.n === 104)`, 15_000);
    const { got, raw } = await entriesOf(tab);
    expect(got, raw).to.deep.equal([
      { type: 'message', n: 1 },
      { type: 'message', n: 2 },
    ]);
    expect(await tab.eval('window.lateEntries')).to.deep.equal([{ type: 'message', n: 104 }]);
  });
});

describe(`red team 10b: <sw-relay> a removed relay's posts during skipWaiting() (${engine})`, () => {
  afterEach(cleanUp);

  // Peers: GoogleChrome/workbox#2430 (the "offer a page reload" recipe: skip waiting, then
  // reload or leave at once), trevoro/use-broadcast#3 (a channel torn down as the component
  // unmounts). README: skipWaiting() — "Posts made meanwhile wait and go to the new worker: none
  // is lost"; "Posts a relay accepted before a worker was active are sent even when the relay is
  // removed right after (a 'goodbye' posted as a component unmounts)". The page accepts the
  // update (skipWaiting()), posts a goodbye and unmounts the relay in the same task — the
  // update banner's "reload now" path. Seen: the goodbye is sent by the removed relay to the
  // worker active at that moment, the one being replaced, with no acknowledgement and no
  // handover; the browser drops what reaches a worker as it is terminated. Lost here in about
  // one round of four, in every engine (WebKit less often): six rounds make a loss
  // likely in every run, and the test stops at the first.
  it('a post made right after skipWaiting(), the relay removed at once, arrives (six rounds)', async () => {
    const name = uniqueName('rt10b-skip-bye');
    const src = '/sw-test/worker.js';
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name, src);
    const results: string[] = [];
    for (let round = 1; round <= 6; round++) {
      const el = await relayHere<string>(name, src);
      const { registration, before } = await installUpdate(el);
      el.skipWaiting();
      el.post(`bye ${round}`);
      el.remove();
      await waitUntil(
        () => registration.active !== before,
        30_000,
        `the new worker active (round ${round})`,
      ).catch((error: Error) => {
        const states = ['installing', 'waiting', 'active'] as const;
        const seen = states.map((kind) => `${kind}: ${registration[kind]?.state ?? '-'}`);
        throw new Error(`${error.message} (${seen.join(', ')})`);
      });
      const arrived = await tab
        .waitFor(`window.log.includes('bye ${round}')`, 10_000)
        .then(() => true)
        .catch(() => false);
      results.push(arrived ? 'arrived' : 'lost');
      if (!arrived) break; // the fault shown: no need to wait through more rounds
    }
    expect(results).to.deep.equal(Array(6).fill('arrived'));
  });
});

describe(`session 12: <sw-relay> posts of every relay of a page across skipWaiting() (${engine})`, () => {
  afterEach(cleanUp);

  // Session 11's six-rounds test above timed out in a clean-clone CI run: the new worker stayed
  // `installed`. Cause: the relay asked the old worker whether it acknowledges (`since`) with
  // its first post, right after skipWaiting(); Chromium stops the old worker as soon as it is
  // idle, and a message that reaches it as it stops starts it again with the usual 30 s idle
  // delay, which the activation waits out. Now nothing of the page goes to the old worker once
  // the page has told the new one to skip waiting: every relay of the page holds its posts, not
  // only the one that called skipWaiting(). Same kind, seeded: in one task, skipWaiting() by one
  // relay; posts by others (on another channel, or added in that task and not open yet);
  // relays removed before or after their posts. Each round: the new worker active, every post
  // arrives once, in order per relay (a sentinel after them: no late repeat).
  // The same kind across tabs: another tab of the app keeps posting (a live cursor, a
  // typing indicator) while this page calls skipWaiting(). Seen in Chromium before: the new
  // worker active after 57 s in the third round (the stream kept the old worker from being idle,
  // or started it again as it stopped). Now the worker tells every page, as it is told to skip
  // waiting, and their relays hold their posts for it. Each round the new worker must be active
  // within the 30 s wait; the tab's stream arrives here whole, once, in order.
  it('another tab posting all the while does not keep the new worker from activating; its posts arrive once, in order (four rounds)', async () => {
    const name = uniqueName('rt12-stream');
    const src = '/sw-test/worker.js';
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name, src);
    const el = await relayHere<string>(name, src);
    const got = record<MessageEvent<string>>(el, 'message');
    // The stream is driven from here, one post per round trip: a background window's own timers
    // may not run at all (WebKitGTK ran none of a 50 ms interval in one CI run).
    await tab.eval('(window.n = 0, true)');
    let streaming = true;
    const poster = (async () => {
      while (streaming) await tab.eval(`(window.relay.post('t' + ++window.n), true)`);
    })();
    for (let round = 1; round <= 4; round++) {
      const { registration, before } = await installUpdate(el);
      el.skipWaiting();
      el.post(`bye ${round}`);
      await waitUntil(
        () => registration.active !== before,
        30_000,
        `the new worker active (round ${round})`,
      );
      await waitUntil(() => el.state === 'open', 30_000, 'open');
    }
    streaming = false;
    await poster;
    await tab.eval(`(window.relay.post('end'), true)`);
    await waitUntil(() => got.some((event) => event.data === 'end'), 15_000, 'the end');
    const stream = got.map((event) => event.data).filter((data) => data !== 'end');
    const count = stream.length;
    expect(count).to.be.above(0);
    expect(stream).to.deep.equal(Array.from({ length: count }, (_, i) => `t${i + 1}`));
    await tab.waitFor(`window.log.includes('bye 4')`, 15_000);
    expect(await tab.eval('window.log.filter((data) => /^bye/.test(data))')).to.deep.equal([
      'bye 1',
      'bye 2',
      'bye 3',
      'bye 4',
    ]);
  });

  it('posts around skipWaiting() by relays added, removed, or on another channel: the new worker activates, each post arrives once (seeded, six rounds)', async () => {
    const seed = Number(new URLSearchParams(location.search).get('seed')) || Date.now() % 1e9;
    console.log(`skip-waiting seed ${seed}`);
    const random = prng(seed);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
    const channels = [uniqueName('rt12-a'), uniqueName('rt12-b')];
    const src = '/sw-test/worker.js';
    const tab = await Tab.open('/sw-test/tab.html');
    await tab.eval(`(async () => {
      window.got = [];
      for (const name of ${JSON.stringify(channels)}) {
        const el = document.createElement('sw-relay');
        el.setAttribute('name', name);
        el.setAttribute('src', ${JSON.stringify(src)});
        el.addEventListener('message', (e) => window.got.push(e.data));
        document.body.append(el);
        while (el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    })()`);
    let made = 0;
    /** A relay of this page, not open yet: its posts wait for a worker. */
    const add = () => {
      const el = document.createElement('sw-relay') as SwRelayElement<string>;
      el.name = pick(channels);
      el.src = src;
      el.id = `r${++made}`;
      document.body.append(el);
      return el;
    };
    const live = [add(), add()];
    const sent: string[] = [];
    try {
      for (let round = 1; round <= 6; round++) {
        if (!live.length) live.push(add());
        await waitUntil(() => live.every((el) => el.state === 'open'), 30_000, 'relays open');
        const { registration, before } = await installUpdate(live[0] as SwRelayElement<unknown>);
        const plan: string[] = [];
        let count = 0;
        const post = (el: SwRelayElement<string>) => {
          const data = `${round}:${el.id}:${++count}`;
          el.post(data);
          sent.push(data);
          plan.push(`${el.id} post`);
        };
        // Before skipWaiting(): a relay that was open stays to call it.
        const open = [...live];
        for (let step = Math.floor(random() * 3); step > 0; step--) {
          if (random() < 0.6) post(pick(live));
          else if (open.length > 1) {
            const gone = open.splice(Math.floor(random() * open.length), 1)[0];
            gone.remove();
            live.splice(live.indexOf(gone), 1);
            plan.push(`${gone.id} removed`);
          }
        }
        const skipper = pick(open);
        skipper.skipWaiting();
        plan.push(`${skipper.id} skipWaiting()`);
        for (let step = 1 + Math.floor(random() * 5); step > 0; step--) {
          const roll = random();
          if (roll < 0.5 || !live.length) post(live.length && roll < 0.35 ? pick(live) : add());
          else {
            const gone = pick(live);
            gone.remove();
            live.splice(live.indexOf(gone), 1);
            plan.push(`${gone.id} removed`);
          }
          // A relay added in this task is live too (it opens once the new worker is active).
          for (const el of document.querySelectorAll<SwRelayElement<string>>('sw-relay'))
            if (!live.includes(el)) live.push(el);
        }
        const where = `round ${round}: ${plan.join(', ')}`;
        await waitUntil(
          () => registration.active !== before,
          30_000,
          `the new worker active (${where})`,
        );
        if (!live.length) live.push(add());
        await waitUntil(
          () => live.every((el) => el.state === 'open'),
          30_000,
          `relays open (${where})`,
        );
        // Every post, then a sentinel after them: a repeat would have come before it.
        await tab
          .waitFor(`${JSON.stringify(sent)}.every((data) => window.got.includes(data))`, 15_000)
          .catch(async () => {
            const got = await tab.eval<string[]>('window.got');
            const lost = sent.filter((data) => !got.includes(data));
            throw new Error(`lost: ${lost.join(', ')} (${where})`);
          });
        const sentinel = `${round}:sentinel`;
        live[0].post(sentinel);
        await tab.waitFor(`window.got.includes(${JSON.stringify(sentinel)})`, 15_000);
        const got = (await tab.eval<string[]>('window.got')).filter(
          (data) => !/sentinel/.test(data),
        );
        expect([...got].sort(), where).to.deep.equal([...sent].sort());
        // In order per relay (its numbers rise).
        const last = new Map<string, number>();
        for (const data of got) {
          const [r, id, n] = data.split(':');
          const key = `${r}:${id}`;
          expect(Number(n), `${data} after ${last.get(key)} (${where})`).to.be.above(
            last.get(key) ?? 0,
          );
          last.set(key, Number(n));
        }
      }
    } catch (error) {
      (error as Error).message = `[skip-waiting seed ${seed}] ${(error as Error).message}`;
      throw error;
    }
  });
});

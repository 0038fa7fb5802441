/**
 * The web-platform-tests for BroadcastChannel (`webmessaging/broadcastchannel/` in
 * web-platform-tests/wpt), re-expressed in our own code and run against the native
 * `BroadcastChannel` (the control: it passes everything) and each fallback transport
 * (`StorageChannel`, `IdbChannel`, `CookieChannel`). Each `describe` names the WPT file it ports.
 * Where a transport cannot do what the native API does, the test asserts the documented limit
 * (README, Transports) instead. "Must not arrive" checks post a sentinel afterwards and wait for
 * it, never a sleep.
 */
import { expect } from '@open-wc/testing';
import { implementations, type Impl } from './fixtures/channel-peer.js';
import { anyTests, runAnyTest } from './fixtures/wpt-any.js';
import { uniqueName, waitUntil } from './helpers.js';

type AnyChannel = InstanceType<(typeof implementations)[Impl]>;
const impls: Impl[] = ['native', 'storage', 'idb', 'cookie'];
/** The transports that carry JSON (README: a message must round-trip through JSON unchanged). */
const carriesJson = (impl: Impl) => impl === 'storage' || impl === 'cookie';

const opened: AnyChannel[] = [];
afterEach(() => {
  for (const channel of opened.splice(0)) channel.close();
});

/** `new Channel(...args)` of `impl`, closed after the test. */
function make(impl: Impl, ...args: unknown[]): AnyChannel {
  const Channel = implementations[impl] as unknown as new (...a: unknown[]) => AnyChannel;
  const channel = new Channel(...args);
  opened.push(channel);
  return channel;
}

/** Channels of `impl` on one fresh name, every one ready to receive. */
async function channels(impl: Impl, count: number, name = uniqueName('wpt')) {
  const list = Array.from({ length: count }, () => make(impl, name));
  await Promise.all(list.map((channel) => channel.ready));
  return list;
}

/** The next `message` event on `channel` whose data passes `match`. */
const next = (channel: EventTarget, match: (data: unknown) => boolean = () => true) =>
  new Promise<MessageEvent>((resolve) => {
    channel.addEventListener('message', function listener(event) {
      if (!match((event as MessageEvent).data)) return;
      channel.removeEventListener('message', listener);
      resolve(event as MessageEvent);
    });
  });

/** Every `message` event `channel` gets, recorded. */
function recordAll(channel: EventTarget): MessageEvent[] {
  const events: MessageEvent[] = [];
  channel.addEventListener('message', (event) => events.push(event as MessageEvent));
  return events;
}

let worker: Worker | undefined;
after(() => worker?.terminate());

/** Runs one `.any.js` check in a module worker; rejects with the worker's failure. */
function runInWorker(title: string, impl: Impl): Promise<void> {
  worker ??= new Worker('/test/fixtures/wpt-any-worker.ts', { type: 'module' });
  const id = Math.random();
  const running = worker;
  return new Promise((resolve, reject) => {
    running.addEventListener('message', function listener(event: MessageEvent) {
      const reply = event.data as { id: number; error?: string };
      if (reply.id !== id) return;
      running.removeEventListener('message', listener);
      if (reply.error) reject(new Error(reply.error));
      else resolve();
    });
    running.postMessage({ id, title, impl });
  });
}

for (const impl of impls) {
  describe(`BroadcastChannel semantics: ${impl}`, () => {
    for (const file of ['interface.any.js', 'basics.any.js']) {
      describe(file, () => {
        for (const entry of anyTests.filter((candidate) => candidate.file === file)) {
          it(entry.title, () => runAnyTest(entry.title, impl));
        }
      });
    }

    if (impl === 'native' || impl === 'idb') {
      describe('in a worker (README: this transport works in workers)', () => {
        for (const entry of anyTests) {
          it(`${entry.file}: ${entry.title}`, () => runInWorker(entry.title, impl));
        }
      });
    }

    describe('blobs.html', () => {
      if (carriesJson(impl)) {
        it('a Blob throws DataCloneError (this transport carries JSON) and sends nothing', async () => {
          const [c1, c2] = await channels(impl, 2);
          const events = recordAll(c2);
          expect(() => c1.postMessage({ blob: new Blob(['foo', 'bar']) }))
            .to.throw(DOMException)
            .with.property('name', 'DataCloneError');
          c1.postMessage('sentinel');
          await next(c2, (data) => data === 'sentinel');
          expect(events.map((event) => event.data)).to.deep.equal(['sentinel']);
        });
      } else {
        it('Blobs work: each receiver reads its own copy', async () => {
          const [c1, c2, c3] = await channels(impl, 3);
          const arrived = Promise.all([next(c2), next(c3)]);
          c1.postMessage({ blob: new Blob(['foo', 'bar']) });
          for (const event of await arrived) {
            const { blob } = event.data as { blob: Blob };
            expect(blob).to.be.instanceOf(Blob);
            expect(blob.size).to.equal(6);
            expect(await blob.text()).to.equal('foobar');
          }
        });
      }
    });

    describe('structured clone (html/webappapis/structured-clone battery)', () => {
      const cyclic: Record<string, unknown> = { name: 'cycle' };
      cyclic.self = cyclic;
      class Point {
        x = 1;
      }
      /** Values JSON carries unchanged: every transport delivers them as they were. */
      const jsonValues: [string, unknown][] = [
        ['null', null],
        ['true', true],
        ['false', false],
        ['empty string', ''],
        ['string with cookie-special characters', ' %;,"\\=\u00e9\u{1f600}\u0000'],
        ['lone surrogate', 'a\ud800b'],
        ['zero', 0],
        ['float', 1.5],
        ['huge number', -1e300],
        ['empty array', []],
        ['array', [1, 'a', null, [true]]],
        ['empty object', {}],
        ['nested object', { a: { b: [1, { c: 'd' }] }, 'key with space': 1 }],
        ['null-prototype object', Object.assign(Object.create(null) as object, { a: 1 })],
        [
          'shared (not cyclic) reference',
          (() => {
            const shared = { s: 1 };
            return { a: shared, b: shared };
          })(),
        ],
      ];
      /** Values structured clone carries but JSON would change. */
      const cloneOnly: [string, unknown, (value: unknown) => void][] = [
        ['undefined', undefined, (v) => expect(v).to.equal(undefined)],
        ['NaN', NaN, (v) => expect(Number.isNaN(v)).to.equal(true)],
        ['Infinity', Infinity, (v) => expect(v).to.equal(Infinity)],
        ['-0', -0, (v) => expect(Object.is(v, -0)).to.equal(true)],
        ['BigInt', 12n, (v) => expect(v).to.equal(12n)],
        ['Date', new Date(0), (v) => expect((v as Date).getTime()).to.equal(0)],
        ['RegExp', /a+/gi, (v) => expect(String(v)).to.equal('/a+/gi')],
        [
          'Map',
          new Map([[1, 'one']]),
          (v) => expect([...(v as Map<number, string>)]).to.deep.equal([[1, 'one']]),
        ],
        ['Set', new Set(['x']), (v) => expect([...(v as Set<string>)]).to.deep.equal(['x'])],
        [
          'Uint8Array',
          new Uint8Array([1, 2]),
          (v) => expect([...(v as Uint8Array)]).to.deep.equal([1, 2]),
        ],
        [
          'ArrayBuffer',
          new Uint8Array([3]).buffer,
          (v) => expect((v as ArrayBuffer).byteLength).to.equal(1),
        ],
        ['sparse array', Array(3), (v) => expect(0 in (v as unknown[])).to.equal(false)],
        [
          'undefined in an object',
          { u: undefined },
          (v) => expect('u' in (v as object)).to.equal(true),
        ],
        [
          'undefined in an array',
          [undefined],
          (v) => expect((v as unknown[])[0]).to.equal(undefined),
        ],
        ['cyclic object', cyclic, (v) => expect((v as { self: unknown }).self).to.equal(v)],
        ['Error', new RangeError('boom'), (v) => expect((v as Error).message).to.equal('boom')],
        ['String object', new String('s'), (v) => expect(String(v)).to.equal('s')],
        [
          'class instance (arrives as a plain object)',
          new Point(),
          (v) => expect(v).to.deep.equal({ x: 1 }),
        ],
      ];
      /** Values nothing can carry. */
      const never: [string, unknown][] = [
        ['Symbol', Symbol('s')],
        ['function', () => 1],
        ['object with a method', { f() {} }],
        ['WeakMap', new WeakMap()],
      ];

      it('JSON values arrive unchanged', async () => {
        const [c1, c2] = await channels(impl, 2);
        const events = recordAll(c2);
        for (const [, value] of jsonValues) c1.postMessage(value);
        await waitUntil(() => events.length === jsonValues.length, 15_000, 'every value');
        events.forEach((event, i) =>
          expect(event.data, jsonValues[i][0]).to.deep.equal(jsonValues[i][1]),
        );
      });

      if (carriesJson(impl)) {
        it('what JSON would change throws DataCloneError and sends nothing', async () => {
          const [c1, c2] = await channels(impl, 2);
          const events = recordAll(c2);
          for (const [label, value] of [...cloneOnly.map(([l, v]) => [l, v] as const), ...never]) {
            expect(() => c1.postMessage(value), label)
              .to.throw(DOMException)
              .with.property('name', 'DataCloneError');
          }
          c1.postMessage('sentinel');
          await next(c2, (data) => data === 'sentinel');
          expect(events.map((event) => event.data)).to.deep.equal(['sentinel']);
        });
      } else {
        it('structured-clone values arrive as clones', async () => {
          const [c1, c2] = await channels(impl, 2);
          const events = recordAll(c2);
          for (const [, value] of cloneOnly) c1.postMessage(value);
          await waitUntil(() => events.length === cloneOnly.length, 15_000, 'every value');
          events.forEach((event, i) => cloneOnly[i][2](event.data));
        });

        it('what structured clone cannot carry throws DataCloneError and sends nothing', async () => {
          const [c1, c2] = await channels(impl, 2);
          const events = recordAll(c2);
          for (const [label, value] of never) {
            expect(() => c1.postMessage(value), label)
              .to.throw(DOMException)
              .with.property('name', 'DataCloneError');
          }
          c1.postMessage('sentinel');
          await next(c2, (data) => data === 'sentinel');
          expect(events.map((event) => event.data)).to.deep.equal(['sentinel']);
        });
      }

      it('the receiver gets a copy: changing the posted value afterwards changes nothing', async () => {
        const [c1, c2, c3] = await channels(impl, 3);
        const arrived = Promise.all([next(c2), next(c3)]);
        const value = { list: [1] };
        c1.postMessage(value);
        value.list.push(2);
        const [a, b] = await arrived;
        expect(a.data).to.deep.equal({ list: [1] });
        expect(a.data).not.to.equal(b.data);
      });
    });
  });
}

/**
 * A differential check with native `BroadcastChannel` as the oracle: a seeded random script of
 * channel creations, closes, posts and replies posted from inside handlers runs once natively
 * and once on each transport in this page; every channel must see the same messages in the same
 * order. The seed is in the test title and in every failure message.
 */
describe('seeded scripts: every transport delivers exactly as native BroadcastChannel does', () => {
  /** mulberry32: a small seeded PRNG, so a failing script can be replayed from its seed. */
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  async function run(impl: Impl, seed: number): Promise<string[]> {
    const next = random(seed);
    const name = uniqueName('seeded');
    const log: string[] = [];
    const all: AnyChannel[] = [];
    const open: AnyChannel[] = [];
    const create = () => {
      const channel = make(impl, name);
      const index = all.length;
      all.push(channel);
      open.push(channel);
      channel.addEventListener('message', (event) => {
        const data = (event as MessageEvent).data as number | string;
        log.push(`${index}<${data}`);
        // A reply from inside the handler, and sometimes a close: both in a delivery task.
        if (typeof data === 'number' && data < 1000 && data % 3 === 0) {
          channel.postMessage(data + 1000);
          log.push(`${index}>${data + 1000}`);
        }
        if (typeof data === 'number' && data % 7 === 0 && open.includes(channel)) {
          channel.close();
          open.splice(open.indexOf(channel), 1);
          log.push(`${index} closed`);
        }
      });
    };
    create();
    create();
    for (let step = 0; step < 60; step++) {
      const roll = next();
      if (roll < 0.15 && open.length < 8) create();
      else if (roll < 0.22 && open.length > 2) {
        const channel = open.splice(Math.floor(next() * open.length), 1)[0];
        channel.close();
        log.push(`${all.indexOf(channel)} closed`);
      } else if (open.length) {
        const channel = open[Math.floor(next() * open.length)];
        channel.postMessage(step);
        log.push(`${all.indexOf(channel)}>${step}`);
      }
    }
    // Quiescence without sleeping: sentinel 1 queues behind every post of the script; replies
    // are posted while those are delivered, so sentinel 2, posted once sentinel 1 reached the
    // newest channel, queues behind every reply.
    const sender = make(impl, name);
    const watcher = make(impl, name);
    const seen = (data: string) =>
      new Promise<void>((resolve) =>
        watcher.addEventListener('message', (event) => {
          if ((event as MessageEvent).data === data) resolve();
        }),
      );
    const first = seen('sentinel 1');
    sender.postMessage('sentinel 1');
    await first;
    const second = seen('sentinel 2');
    sender.postMessage('sentinel 2');
    await second;
    for (const channel of [...all, sender, watcher]) channel.close();
    return log;
  }

  const seeds = [1, 2, 3, 42, 1234, Date.now() % 100_000];
  for (const impl of ['storage', 'idb', 'cookie'] as const) {
    for (const seed of seeds) {
      it(`${impl}, seed ${seed}`, async () => {
        const expected = await run('native', seed);
        const actual = await run(impl, seed);
        expect(actual, `seed ${seed}: ${impl} differs from native BroadcastChannel`).to.deep.equal(
          expected,
        );
      });
    }
  }
});

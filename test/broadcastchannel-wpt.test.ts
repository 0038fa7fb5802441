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

/** Runs `fn` while errors reported to the window (a throwing listener) are caught, not failing mocha. */
async function catchingReportedErrors(fn: (errors: unknown[]) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  const previous = window.onerror;
  window.onerror = (_message, _source, _line, _column, error) => {
    errors.push(error);
    return true;
  };
  try {
    await fn(errors);
  } finally {
    window.onerror = previous;
  }
}

for (const impl of impls) {
  describe(`BroadcastChannel semantics: ${impl}`, () => {
    describe('interface.any.js', () => {
      it('throws TypeError if no name is provided', () => {
        expect(() => make(impl)).to.throw(TypeError);
      });

      it('converts the name to a string: null, undefined, 123, "fooBar"', () => {
        expect(make(impl, null).name).to.equal('null');
        expect(make(impl, undefined).name).to.equal('undefined');
        expect(make(impl, 123).name).to.equal('123');
        expect(make(impl, 'fooBar').name).to.equal('fooBar');
        expect(() => make(impl, Symbol('name'))).to.throw(TypeError);
      });

      it('postMessage without parameters throws TypeError; with null it does not', () => {
        const channel = make(impl, uniqueName());
        expect(() => (channel.postMessage as () => void)()).to.throw(TypeError);
        channel.postMessage(null);
      });

      it('close does not throw, also when called twice', () => {
        const channel = make(impl, uniqueName());
        channel.close();
        channel.close();
      });

      it('postMessage after close throws InvalidStateError, even with uncloneable data', () => {
        const channel = make(impl, uniqueName());
        channel.close();
        expect(() => channel.postMessage(''))
          .to.throw(DOMException)
          .with.property('name', 'InvalidStateError');
        expect(() => channel.postMessage(Symbol()))
          .to.throw(DOMException)
          .with.property('name', 'InvalidStateError');
      });

      it('has onmessage (null until set)', () => {
        const channel = make(impl, uniqueName()) as unknown as BroadcastChannel;
        expect(channel.onmessage).to.equal(null);
        expect(channel.onmessageerror).to.equal(null);
      });

      it('postMessage(Symbol()) throws DataCloneError and sends nothing', async () => {
        const [c1, c2] = await channels(impl, 2);
        const events = recordAll(c2);
        expect(() => c1.postMessage(Symbol()))
          .to.throw(DOMException)
          .with.property('name', 'DataCloneError');
        c1.postMessage('sentinel');
        await next(c2, (data) => data === 'sentinel');
        expect(events.map((event) => event.data)).to.deep.equal(['sentinel']);
      });
    });

    describe('basics.any.js', () => {
      it('postMessage results in a correct MessageEvent, dispatched on the receiving channel', async () => {
        const [c1, c2] = await channels(impl, 2);
        let inHandler: { target: unknown; currentTarget: unknown; isTrusted: boolean } | undefined;
        (c2 as unknown as BroadcastChannel).onmessage = (event) => {
          inHandler = {
            target: event.target,
            currentTarget: event.currentTarget,
            isTrusted: event.isTrusted,
          };
        };
        const arrived = next(c2);
        c1.postMessage('hello world');
        const event = await arrived;
        expect(event).to.be.instanceOf(MessageEvent);
        expect(event.target).to.equal(c2);
        expect(inHandler?.target).to.equal(c2);
        expect(inHandler?.currentTarget).to.equal(c2);
        expect(event.type).to.equal('message');
        expect(event.origin).to.equal(location.origin);
        expect(event.data).to.equal('hello world');
        expect(event.source).to.equal(null);
        expect(event.ports).to.deep.equal([]);
        expect(event.lastEventId).to.equal('');
      });

      it('messages are delivered in port creation order', async () => {
        const [c1, c2, c3] = await channels(impl, 3);
        const events: MessageEvent[] = [];
        let done = 0;
        const finished = new Promise<void>((resolve) => {
          const handler = (event: MessageEvent) => {
            events.push(event);
            if (event.data === 'done' && ++done === 2) resolve();
          };
          for (const channel of [c1, c2, c3])
            (channel as unknown as BroadcastChannel).onmessage = handler;
        });
        c1.postMessage('from c1');
        c3.postMessage('from c3');
        c2.postMessage('done');
        await finished;
        expect(events.map((event) => [event.target, event.data])).to.deep.equal([
          [c2, 'from c1'],
          [c3, 'from c1'],
          [c1, 'from c3'],
          [c2, 'from c3'],
          [c1, 'done'],
          [c3, 'done'],
        ]);
      });

      it("messages aren't delivered to a closed port", async () => {
        const [c1, c2, c3] = await channels(impl, 3);
        const toC2 = recordAll(c2);
        c2.close();
        const arrived = next(c3);
        c1.postMessage('test');
        await arrived;
        expect(toC2).to.deep.equal([]);
      });

      it("messages aren't delivered to a port closed after calling postMessage", async () => {
        const [c1, c2, c3] = await channels(impl, 3);
        const toC2 = recordAll(c2);
        const arrived = next(c3);
        c1.postMessage('test');
        c2.close();
        await arrived;
        expect(toC2).to.deep.equal([]);
      });

      it('closing and creating channels during message delivery works correctly', async () => {
        const name = uniqueName('wpt');
        const [c1, c2] = await channels(impl, 2, name);
        const toC3: unknown[] = [];
        const done = new Promise<void>((resolve, reject) => {
          (c2 as unknown as BroadcastChannel).onmessage = (event) => {
            if (event.data !== 'first') reject(new Error(`c2 got ${String(event.data)}`));
            c2.close();
            const c3 = make(impl, name) as unknown as BroadcastChannel;
            c3.onmessage = (later) => {
              toC3.push(later.data);
              if (later.data === 'done') resolve();
            };
            c1.postMessage('done');
          };
        });
        c1.postMessage('first');
        c2.postMessage('second');
        await done;
        // c3 was made after 'second' was posted: it never gets it.
        expect(toC3).to.deep.equal(['done']);
      });

      it('closing a channel in onmessage prevents already queued tasks from firing onmessage events', async () => {
        const [c1, c2, c3] = await channels(impl, 3);
        const events: string[] = [];
        for (const [label, channel] of [
          ['c1', c1],
          ['c2', c2],
          ['c3', c3],
        ] as const) {
          (channel as unknown as BroadcastChannel).onmessage = (event) =>
            events.push(`${label}: ${String(event.data)}`);
        }
        c2.addEventListener('message', () => c2.close());
        const done = next(c3, (data) => data === 'done');
        c1.postMessage('first');
        c1.postMessage('done');
        await done;
        expect(events).to.deep.equal(['c2: first', 'c3: first', 'c3: done']);
      });

      it('a channel made right after a post, in the same task, never receives it', async () => {
        const name = uniqueName('wpt');
        const [c1] = await channels(impl, 1, name);
        const late: AnyChannel[] = [];
        const logs: MessageEvent[][] = [];
        for (let i = 0; i < 5; i++) {
          c1.postMessage(`before ${i}`);
          late.push(make(impl, name));
          logs.push(recordAll(late[i]));
        }
        await Promise.all(late.map((channel) => channel.ready));
        const last = late[late.length - 1];
        const sentinel = next(last, (data) => data === 'sentinel');
        c1.postMessage('sentinel');
        await sentinel;
        // Each one gets the posts made after it, never the one just before it.
        logs.forEach((log, i) =>
          expect(log.map((event) => event.data)).to.deep.equal([
            ...[1, 2, 3, 4].filter((n) => n > i).map((n) => `before ${n}`),
            'sentinel',
          ]),
        );
      });

      it('posts of several channels reach the others in posting order, each post in creation order', async () => {
        const [c1, c2, c3] = await channels(impl, 3);
        const events: [AnyChannel, unknown][] = [];
        for (const channel of [c1, c2, c3]) {
          channel.addEventListener('message', (event) =>
            events.push([channel, (event as MessageEvent).data]),
          );
        }
        const done = next(c2, (data) => data === 'c3 second');
        c2.postMessage('c2 first');
        c1.postMessage('c1 first');
        c3.postMessage('c3 first');
        c2.postMessage('c2 second');
        c3.postMessage('c3 second');
        await done;
        expect(events).to.deep.equal([
          [c1, 'c2 first'],
          [c3, 'c2 first'],
          [c2, 'c1 first'],
          [c3, 'c1 first'],
          [c1, 'c3 first'],
          [c2, 'c3 first'],
          [c1, 'c2 second'],
          [c3, 'c2 second'],
          [c1, 'c3 second'],
          [c2, 'c3 second'],
        ]);
      });

      it('postMessage never delivers inside the call (a task per receiver)', async () => {
        const [c1, c2] = await channels(impl, 2);
        const events = recordAll(c2);
        const arrived = next(c2);
        c1.postMessage('later');
        await Promise.resolve();
        expect(events).to.deep.equal([]);
        await arrived;
      });

      it('a listener that throws stops neither the other listeners nor the transport', async () => {
        await catchingReportedErrors(async (errors) => {
          const [c1, c2] = await channels(impl, 2);
          (c2 as unknown as BroadcastChannel).onmessage = () => {
            throw new Error('listener failed');
          };
          const seen: unknown[] = [];
          c2.addEventListener('message', (event) => seen.push((event as MessageEvent).data));
          const errorEvents: unknown[] = [];
          c2.addEventListener('error', (event) => errorEvents.push(event));
          for (let i = 0; i < 3; i++) c1.postMessage(i);
          await waitUntil(() => seen.length === 3, 5000, 'three messages');
          c1.postMessage('still working');
          await next(c2, (data) => data === 'still working');
          expect(seen).to.deep.equal([0, 1, 2, 'still working']);
          expect(errors.map((error) => (error as Error).message)).to.deep.equal(
            Array(4).fill('listener failed'),
          );
          expect(errorEvents).to.deep.equal([]);
        });
      });

      it('setting onmessage to null removes the handler; addEventListener keeps its place', async () => {
        const [c1, c2] = await channels(impl, 2);
        const calls: string[] = [];
        const target = c2 as unknown as BroadcastChannel;
        target.onmessage = () => calls.push('handler 1');
        c2.addEventListener('message', () => calls.push('listener'));
        target.onmessage = () => calls.push('handler 2');
        c1.postMessage('one');
        await next(c2);
        target.onmessage = null;
        target.onmessage = () => calls.push('handler 3');
        c1.postMessage('two');
        await next(c2);
        expect(calls).to.deep.equal(['handler 2', 'listener', 'listener', 'handler 3']);
      });
    });

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
        await waitUntil(() => events.length === jsonValues.length, 5000, 'every value');
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
          await waitUntil(() => events.length === cloneOnly.length, 5000, 'every value');
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

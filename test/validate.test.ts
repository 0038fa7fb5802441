import { expect } from '@open-wc/testing';
import { z } from 'zod';
import * as v from 'valibot';
import '../src/define.js';
import type { RealtimeErrorEvent, StorageSyncElement, TabChannelElement } from '../src/index.js';
import { record, uniqueName, waitUntil } from './helpers.js';

interface Chat {
  text: string;
}

async function channel<In = unknown>(
  name = uniqueName('validate'),
): Promise<TabChannelElement<In>> {
  const el = document.createElement('tab-channel') as TabChannelElement<In>;
  el.name = name;
  document.body.append(el);
  await waitUntil(() => el.state === 'open', 5000);
  return el;
}

/** Posts from a plain BroadcastChannel (another context, as another tab would). */
function post(name: string, ...values: unknown[]): void {
  const plain = new BroadcastChannel(name);
  for (const value of values) plain.postMessage(value);
  plain.close();
}

/** A seeded PRNG (mulberry32): the seed is printed when a test fails. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('validate', () => {
  afterEach(() =>
    document.querySelectorAll('tab-channel, storage-sync').forEach((el) => el.remove()),
  );

  it('zod: delivers the parsed (transformed) value, refuses the rest with invalid-message, keeps running', async () => {
    const el = await channel<Chat>();
    el.validate = z.object({ text: z.string().transform((text) => text.toUpperCase()) });
    const messages = record<MessageEvent<Chat>>(el, 'message');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    post(el.name, { text: 'a' }, { text: 42 }, 'junk', { text: 'b' });
    await waitUntil(() => messages.length === 2 && errors.length === 2, 5000);
    expect(messages.map((m) => m.data)).to.deep.equal([{ text: 'A' }, { text: 'B' }]);
    expect(errors.map((e) => [e.code, e.raw])).to.deep.equal([
      ['invalid-message', { text: 42 }],
      ['invalid-message', 'junk'],
    ]);
    expect(errors[0]!.issues![0]!.path).to.deep.equal(['text']);
    expect(el.state).to.equal('open');
    expect(el.snapshot.data).to.deep.equal({ text: 'B' });
  });

  it('valibot: the same contract', async () => {
    const el = await channel<Chat>();
    el.validate = v.object({ text: v.pipe(v.string(), v.minLength(2)) });
    const messages = record<MessageEvent<Chat>>(el, 'message');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    post(el.name, { text: 'x' }, { text: 'ok' });
    await waitUntil(() => messages.length === 1 && errors.length === 1, 5000);
    expect(messages[0]!.data).to.deep.equal({ text: 'ok' });
    expect(errors[0]!.code).to.equal('invalid-message');
    expect(errors[0]!.raw).to.deep.equal({ text: 'x' });
    expect(errors[0]!.issues!.length).to.be.greaterThan(0);
  });

  it('a function validator: its return value is delivered, a throw is invalid-message with the cause', async () => {
    const el = await channel<number>();
    const refusal = new TypeError('not a number');
    el.validate = (raw) => {
      if (typeof raw !== 'number') throw refusal;
      return raw * 2;
    };
    const messages = record<MessageEvent<number>>(el, 'message');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    post(el.name, 1, 'two', 3);
    await waitUntil(() => messages.length === 2 && errors.length === 1, 5000);
    expect(messages.map((m) => m.data)).to.deep.equal([2, 6]);
    expect([errors[0]!.raw, errors[0]!.cause, errors[0]!.issues![0]!.message]).to.deep.equal([
      'two',
      refusal,
      'not a number',
    ]);
  });

  it('async validators keep message order (random delays, seeded)', async () => {
    const seed = Date.now() % 100_000;
    const next = random(seed);
    const el = await channel<number>();
    el.validate = async (raw) => {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 20)));
      if (raw === 13) throw new Error('unlucky');
      return raw as number;
    };
    const seen: unknown[] = [];
    el.addEventListener('message', (event) => seen.push(event.data));
    el.addEventListener('error', (event) => seen.push(event.code));
    const sent = Array.from({ length: 30 }, (_, i) => i);
    post(el.name, ...sent);
    await waitUntil(() => seen.length === 30, 10_000, `all 30 (seed ${seed})`);
    expect(seen, `seed ${seed}`).to.deep.equal(sent.map((n) => (n === 13 ? 'invalid-message' : n)));
  });

  // Red team #25: `validate` changed mid-stream. Messages received while an async check was
  // in flight must not overtake it, whatever `validate` is by then (null, another validator).
  it('validate changed mid-stream (to null, to a sync function): order is kept', async () => {
    const el = await channel<string>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    el.validate = async (raw) => {
      await gate;
      return `${raw as string}:slow`;
    };
    const seen: string[] = [];
    el.addEventListener('message', (event) => seen.push(event.data));
    const sentinel = record<MessageEvent<string>>(el, 'message');
    post(el.name, 'first');
    await waitUntil(() => (el as unknown as { _checking?: unknown })._checking !== undefined);
    // A channel made after the element's hears each message after it (HTML § 9.5.2: in
    // creation order), so once it has heard one the element has received it too.
    const probe = new BroadcastChannel(el.name);
    const heard: unknown[] = [];
    probe.onmessage = (event) => heard.push(event.data);
    const received = async (value: string) => {
      await waitUntil(() => heard.includes(value), 5000, `${value} received`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    el.validate = null;
    post(el.name, 'second');
    await received('second');
    el.validate = (raw) => `${raw as string}:sync`;
    post(el.name, 'third');
    await received('third');
    expect(seen, 'nothing overtakes the message being checked').to.deep.equal([]);
    release();
    probe.close();
    await waitUntil(() => sentinel.length === 3, 5000, 'all three');
    expect(seen).to.deep.equal(['first:slow', 'second', 'third:sync']);
  });

  it('a message validated after the element re-opened is dropped, not delivered late', async () => {
    const el = await channel<number>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    el.validate = async (raw) => {
      await gate;
      return raw as number;
    };
    const messages = record<MessageEvent<number>>(el, 'message');
    post(el.name, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    el.name = uniqueName('elsewhere');
    await el.updateComplete;
    release();
    el.validate = null;
    post(el.name, 2);
    await waitUntil(() => messages.length === 1, 5000);
    expect(messages.map((m) => m.data)).to.deep.equal([2]);
  });

  it('<storage-sync>: validates after parsing; a refused value leaves the current one', async () => {
    const key = uniqueName('validated');
    localStorage.setItem(key, JSON.stringify({ theme: 'dark' }));
    const schema = z.object({ theme: z.enum(['dark', 'light']) });
    const make = () => {
      const el = document.createElement('storage-sync') as StorageSyncElement<{ theme: string }>;
      el.key = key;
      el.validate = schema;
      document.body.append(el);
      return el;
    };
    const reader = make();
    const writer = document.createElement('storage-sync');
    writer.key = key;
    document.body.append(writer);
    await waitUntil(() => reader.state === 'open' && writer.state === 'open', 5000);
    expect(reader.value).to.deep.equal({ theme: 'dark' });
    const changes = record(reader, 'valuechange');
    const errors = record<RealtimeErrorEvent>(reader, 'error');
    writer.value = { theme: 'neon' };
    await waitUntil(() => errors.length === 1, 5000);
    expect([errors[0]!.code, errors[0]!.raw]).to.deep.equal(['invalid-message', { theme: 'neon' }]);
    expect(reader.value).to.deep.equal({ theme: 'dark' });
    expect(changes).to.deep.equal([]);
    writer.value = { theme: 'light' };
    await waitUntil(() => changes.length === 1, 5000);
    expect(reader.value).to.deep.equal({ theme: 'light' });
  });

  // Red team: a message whose data has a `then` field is data, not a promise to await.
  it('a message { then: … } passes a function validator and a zod schema as data', async () => {
    const el = await channel<{ then: string }>();
    const got: unknown[] = [];
    const errors: RealtimeErrorEvent[] = [];
    el.addEventListener('message', (event) => got.push(event.data));
    el.addEventListener('error', (event) => errors.push(event));
    el.validate = (raw) => raw as { then: string };
    post(el.name, { then: 'soon' });
    await waitUntil(() => got.length === 1 || errors.length > 0, 5000, 'delivered or refused');
    el.validate = z.object({ then: z.string() });
    post(el.name, { then: 'later' });
    await waitUntil(() => got.length === 2 || errors.length > 0, 5000, 'delivered or refused');
    expect(errors.map((e) => e.code)).to.deep.equal([]);
    expect(got).to.deep.equal([{ then: 'soon' }, { then: 'later' }]);
    el.remove();
  });
  it('a validator that throws anything (null, an object with no string form, a throwing message getter; sync or async) is invalid-message, never an uncaught error', async () => {
    const el = await channel();
    const thrown = [
      null,
      Object.create(null),
      {
        toString() {
          throw new Error('no string');
        },
      },
      {
        get message(): string {
          throw new Error('no message');
        },
      },
    ];
    el.validate = (value) => {
      if (value === 'ok') return value;
      const n = value as number;
      if (n < 4) throw thrown[n];
      return Promise.reject(thrown[n - 4]);
    };
    const messages = record<MessageEvent>(el, 'message');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    post(el.name, 0, 1, 2, 3, 4, 5, 6, 7, 'ok');
    await waitUntil(() => messages.length === 1 && errors.length === 8, 5000);
    expect(errors.map((e) => [e.code, e.raw])).to.deep.equal(
      [...Array(8).keys()].map((n) => ['invalid-message', n]),
    );
    expect(errors[1]!.cause).to.equal(thrown[1]);
    expect(messages[0]!.data).to.equal('ok');
    expect(el.state).to.equal('open');
  });

  it('a Standard Schema failure with no issue listed is invalid-message with a readable message', async () => {
    const el = await channel();
    el.validate = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value: unknown) => (value === 'ok' ? { value } : { issues: [] }),
      },
    };
    const messages = record<MessageEvent>(el, 'message');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    post(el.name, 'bad', 'ok');
    await waitUntil(() => messages.length === 1 && errors.length === 1, 5000);
    expect(errors[0]!.code).to.equal('invalid-message');
    expect(errors[0]!.message).not.to.contain('undefined');
  });

  it('<storage-sync>: a validator that throws an object with no string form is invalid-message', async () => {
    const key = uniqueName('throws');
    localStorage.setItem(key, '"stored"');
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.key = key;
    el.validate = () => {
      throw Object.create(null);
    };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.length === 1, 5000);
    expect(errors[0]!.code).to.equal('invalid-message');
    expect(el.value).to.equal(null);
    localStorage.removeItem(key);
  });
});

describe('subscribe (the store contract)', () => {
  it('calls run at once and on each change with a new frozen snapshot; unsubscribe stops it', async () => {
    const el = await channel<Chat>();
    const seen: object[] = [];
    const stop = el.subscribe((snapshot) => seen.push(snapshot));
    expect(seen.length).to.equal(1);
    post(el.name, { text: 'hi' });
    await waitUntil(() => el.snapshot.data?.text === 'hi', 5000);
    const last = seen.at(-1) as { state: string; data: Chat; lastEventId: string; error: null };
    expect(last).to.deep.equal({
      state: 'open',
      error: null,
      lastEventId: '',
      data: { text: 'hi' },
      leader: false,
    });
    expect(Object.isFrozen(last)).to.equal(true);
    expect(new Set(seen).size, 'a new object each change').to.equal(seen.length);
    expect(el.snapshot, 'the same object until a change').to.equal(el.snapshot);
    stop();
    const count = seen.length;
    post(el.name, { text: 'after' });
    await waitUntil(() => el.snapshot.data?.text === 'after', 5000);
    expect(seen.length).to.equal(count);
    el.remove();
  });

  it('a repeated identical message is news: subscribers hear each one', async () => {
    const el = await channel<string>();
    let calls = 0;
    const stop = el.subscribe(() => calls++);
    post(el.name, 'ping', 'ping', 'ping');
    await waitUntil(() => calls === 4, 5000, 'one call now and one per message');
    stop();
    el.remove();
  });

  it('<storage-sync>: an equal value set again (a re-render) is no change', async () => {
    const el = document.createElement('storage-sync');
    el.key = uniqueName('rerender');
    document.body.append(el);
    await waitUntil(() => el.state === 'open', 5000);
    el.value = { theme: 'dark' };
    let calls = 0;
    const stop = el.subscribe(() => calls++);
    el.value = { theme: 'dark' };
    el.value = { theme: 'light' };
    expect(calls).to.equal(2);
    stop();
    el.remove();
  });

  it('<storage-sync>: { state, error, value }, including the page’s own sets', async () => {
    const el = document.createElement('storage-sync') as StorageSyncElement<number>;
    el.key = uniqueName('store');
    el.type = 'number';
    document.body.append(el);
    const seen: { value: unknown }[] = [];
    const stop = el.subscribe((snapshot) => seen.push(snapshot));
    await waitUntil(() => el.state === 'open', 5000);
    el.value = 7;
    expect(seen.at(-1)).to.deep.equal({ state: 'open', error: null, value: 7 });
    stop();
    el.remove();
  });

  // Red team: Svelte's own store bugs, tried on the elements' stores.
  it('a subscriber unsubscribed by an earlier one in the same round is not called (sveltejs/svelte#4794, #3205)', async () => {
    const el = await channel<string>();
    const second: string[] = [];
    const third: string[] = [];
    let stopSecond = () => {};
    const stopFirst = el.subscribe(({ data }) => {
      if (data === 'cut') stopSecond();
    });
    stopSecond = el.subscribe(({ data }) => second.push(data ?? ''));
    const stopThird = el.subscribe(({ data }) => third.push(data ?? ''));
    post(el.name, 'cut', 'after');
    await waitUntil(() => third.includes('after'), 5000, 'the third subscriber heard both');
    expect(second, 'never called once unsubscribed').to.deep.equal(['']);
    expect(third).to.deep.equal(['', 'cut', 'after']);
    stopFirst();
    stopThird();
    el.remove();
  });

  it('a subscriber that throws is reported and stops neither the others nor delivery (sveltejs/svelte#11555)', async () => {
    const el = await channel<string>();
    const reported: unknown[] = [];
    const saved = window.onerror;
    window.onerror = (_message, _source, _line, _column, error) => {
      reported.push(error);
      return true;
    };
    const heard: string[] = [];
    const messages: string[] = [];
    el.addEventListener('message', (event) => messages.push(event.data));
    try {
      const stopFirst = el.subscribe(({ data }) => {
        if (data === 'boom') throw new Error('subscriber failed');
      });
      const stopSecond = el.subscribe(({ data }) => heard.push(data ?? ''));
      post(el.name, 'boom', 'next');
      await waitUntil(() => heard.includes('next'), 5000, 'the second subscriber heard both');
      expect(heard).to.deep.equal(['', 'boom', 'next']);
      expect(messages).to.deep.equal(['boom', 'next']);
      expect(reported.map((error) => (error as Error)?.message)).to.deep.equal([
        'subscriber failed',
      ]);
      stopFirst();
      stopSecond();
    } finally {
      window.onerror = saved;
      el.remove();
    }
  });

  it('a subscriber that changes the element leaves every subscriber on the newest snapshot (svelte’s subscriber queue)', async () => {
    const el = document.createElement('storage-sync') as StorageSyncElement<string>;
    el.key = uniqueName('nested');
    el.type = 'text';
    document.body.append(el);
    await waitUntil(() => el.state === 'open', 5000);
    const stopFirst = el.subscribe(({ value }) => {
      // Normalizes what it is given: a nested change inside the round.
      if (typeof value === 'string' && value !== value.trim()) el.value = value.trim();
    });
    const seen: unknown[] = [];
    const stopSecond = el.subscribe(({ value }) => seen.push(value));
    el.value = '  padded  ';
    expect(el.value).to.equal('padded');
    expect(seen.at(-1), 'the last snapshot a subscriber got is the newest').to.equal('padded');
    stopFirst();
    stopSecond();
    el.remove();
  });
});

/**
 * Red team of issue #29's `<storage-sync>` extras: inputs from peer reports of the same kind.
 * - zustand-debounce #13 (a debounced write lands under another key / is lost): a form write
 *   held by `throttle` while the page switches `key`.
 * - A switched `key` must not keep the element listening to the old key's same-page writes.
 * - Bad attribute values (`version="abc"`, `max-age="-5"` …) are an `error` event with a code,
 *   never silently ignored or read as something else.
 * - A `serializer` whose `stringify` throws while the user types: an `error` event, not an
 *   uncaught exception from the input listener.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/storage-sync-define.js';
import type { StorageSyncElement } from '../src/storage-sync.js';
import type { RealtimeErrorEvent, ValueChangeEvent } from '../src/index.js';
import { record, uniqueName, waitUntil, faultRun } from './helpers.js';

const opened = (el: StorageSyncElement) =>
  waitUntil(() => el.state === 'open' || el.state === 'memory', 30_000, 'the element open');

const type = (input: HTMLInputElement, text: string) => {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
};

describe('<storage-sync> red team (#29)', () => {
  afterEach(() => {
    document.querySelectorAll('storage-sync').forEach((el) => el.remove());
    localStorage.clear();
  });

  it('throttle: a held form write stays with its key when the page switches key', async () => {
    const a = uniqueName('throttle-a');
    const b = uniqueName('throttle-b');
    const el = await fixture<StorageSyncElement>(
      html`<storage-sync key=${a} throttle="60000"><input name="q" /></storage-sync>`,
    );
    await opened(el);
    const input = el.querySelector('input')!;
    type(input, 'x');
    // (form work may wait for the form chunk: wait for each edit to be taken)
    await waitUntil(() => localStorage.getItem(a) === '{"q":"x"}', 30_000, 'the first write');
    type(input, 'xy'); // held by the throttle
    await waitUntil(() => (el.value as { q?: string }).q === 'xy', 30_000, 'the edit taken');
    expect(localStorage.getItem(a)).to.equal('{"q":"x"}');
    el.key = b;
    await waitUntil(() => el.state === 'open' && el.key === b, 30_000, 'open on the new key');
    expect([localStorage.getItem(a), localStorage.getItem(b)]).to.deep.equal(['{"q":"xy"}', null]);
  });

  it('a switched key no longer hears same-page writes of the old key', async () => {
    const a = uniqueName('switch-a');
    const b = uniqueName('switch-b');
    const el = await fixture<StorageSyncElement>(html`<storage-sync key=${a}></storage-sync>`);
    const other = await fixture<StorageSyncElement>(html`<storage-sync key=${a}></storage-sync>`);
    await opened(el);
    await opened(other);
    el.key = b;
    await waitUntil(() => el.state === 'open' && el.key === b, 30_000, 'open on the new key');
    const changes = record<ValueChangeEvent>(el, 'valuechange');
    other.value = 'for a';
    // Sentinel: a write to b arrives after; only it may be seen.
    const third = await fixture<StorageSyncElement>(html`<storage-sync key=${b}></storage-sync>`);
    await opened(third);
    third.value = 'for b';
    await waitUntil(() => changes.length > 0, 30_000, 'the write to b');
    expect(changes.map((e) => [e.key, e.value])).to.deep.equal([[b, 'for b']]);
    expect(el.value).to.equal('for b');
  });

  for (const [name, value] of [
    ['version', 'abc'],
    ['version', '-1'],
    ['version', '1.5'],
    ['max-age', 'soon'],
    ['max-age', '-5'],
    ['throttle', 'fast'],
    ['throttle', '-100'],
  ]) {
    it(`${name}="${value}" is an invalid-attribute error, not silently another value`, async () => {
      const key = uniqueName('bad-attr');
      localStorage.setItem(key, '"kept"');
      const el = document.createElement('storage-sync') as StorageSyncElement;
      el.setAttribute('key', key);
      el.setAttribute(name, value);
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => errors.length > 0 || el.state === 'open', 30_000, 'error or open');
      expect(errors.map((e) => e.code)).to.deep.equal(['invalid-attribute']);
      expect(localStorage.getItem(key)).to.equal('"kept"');
    });
  }

  it('a serializer whose stringify throws while typing is an error event, not an uncaught one', async () => {
    const key = uniqueName('serializer-throws');
    const uncaught: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      uncaught.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    try {
      const el = document.createElement('storage-sync') as StorageSyncElement;
      el.setAttribute('key', key);
      el.serializer = {
        parse: JSON.parse,
        stringify: () => {
          throw new Error('cannot stringify');
        },
      };
      el.append(Object.assign(document.createElement('input'), { name: 'q' }));
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await opened(el);
      type(el.querySelector('input')!, 'x');
      await waitUntil(() => errors.length > 0 || uncaught.length > 0, 30_000, 'an error');
      expect([uncaught.length, errors.map((e) => e.code)]).to.deep.equal([0, ['serialize-failed']]);
      expect(localStorage.getItem(key)).to.equal(null);
    } finally {
      window.removeEventListener('error', onError);
    }
  });

  // zustand persist's `migrate` may return a Promise (and redux-persist's createMigrate does):
  // one ported as an `async` function must migrate, never store the Promise (as "{}").
  it('an async migrate (returns a Promise) migrates and writes back the resolved value', async () => {
    const key = uniqueName('async-migrate');
    localStorage.setItem(key, JSON.stringify({ name: 'Ada Lovelace' }));
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.setAttribute('version', '2');
    el.migrate = async (old) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const [first, last] = (old as { name: string }).name.split(' ');
      return { first, last };
    };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await opened(el);
    expect(errors.map((e) => e.code)).to.deep.equal([]);
    expect(el.value).to.deep.equal({ first: 'Ada', last: 'Lovelace' });
    expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({
      version: 2,
      data: '{"first":"Ada","last":"Lovelace"}',
    });
  });

  // A migrate that never settles (a request that hangs, a forgotten resolve) must not hold the
  // key's Web Lock for ever: neither this element nor any other of the key would ever open.
  it(
    faultRun(
      'an async migrate that never settles is migrate-failed after 10 s, and the key opens again',
    ),
    async () => {
      const key = uniqueName('hung-migrate');
      const stored = JSON.stringify({ name: 'Ada Lovelace' });
      localStorage.setItem(key, stored);
      const el = document.createElement('storage-sync') as StorageSyncElement;
      el.setAttribute('key', key);
      el.setAttribute('version', '2');
      el.migrate = () => new Promise(() => {});
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await opened(el);
      expect(errors.map((e) => e.code)).to.deep.equal(['migrate-failed']);
      expect(errors[0].message).to.match(/did not settle within 10000 ms/);
      // Left as it was, for a release whose migrate works.
      expect(localStorage.getItem(key)).to.equal(stored);
      // The lock is free: another element of the key migrates and opens.
      const next = document.createElement('storage-sync') as StorageSyncElement;
      next.setAttribute('key', key);
      next.setAttribute('version', '2');
      next.migrate = (old) => ({ full: (old as { name: string }).name });
      document.body.append(next);
      await opened(next);
      expect(next.value).to.deep.equal({ full: 'Ada Lovelace' });
    },
  );
});

/**
 * `<storage-sync>`'s optional parts across real tabs: `version` + `migrate` (once across tabs
 * that open together), `version-ahead`, `max-age` expiry in every tab, a `serializer`,
 * `merge-defaults` and `throttle`. Every look at another tab waits for its condition.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/storage-sync-define.js';
import type { StorageSyncElement } from '../src/storage-sync.js';
import type { RealtimeErrorEvent, ValueChangeEvent } from '../src/index.js';
import { Tab, closeAllTabs, record, uniqueName, waitUntil } from './helpers.js';

/** A serializer for Date, Map and Set (tagged JSON), as a README example would write it. */
const serializerSource = `({
  stringify: (value) => JSON.stringify(value, function (key, v) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Map) return { $map: [...raw] };
    if (raw instanceof Set) return { $set: [...raw] };
    return v;
  }),
  parse: (text) => JSON.parse(text, (key, v) =>
    v && v.$date ? new Date(v.$date) : v && v.$map ? new Map(v.$map) : v && v.$set ? new Set(v.$set) : v),
})`;
const serializer = (0, eval)(serializerSource);

const opened = (el: StorageSyncElement) =>
  waitUntil(() => el.state === 'open' || el.state === 'memory', 10_000, 'the element open');

describe('<storage-sync> versions, expiry, serializer, merge-defaults, throttle', function () {
  this.timeout(60_000);
  afterEach(async () => {
    document.querySelectorAll('storage-sync').forEach((el) => el.remove());
    await closeAllTabs();
    localStorage.clear();
  });

  it('without any of them the stored string is exactly what it was', async () => {
    const key = uniqueName('plain');
    const el = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
    el.value = { a: 1 };
    expect(localStorage.getItem(key)).to.equal('{"a":1}');
  });

  it('migrates a value of an older version once across two tabs that open together', async () => {
    const key = uniqueName('migrate');
    localStorage.setItem(key, JSON.stringify({ name: 'Ada Lovelace' }));
    const open = (tab: Tab) =>
      tab.eval(`(() => {
        const el = document.createElement('storage-sync');
        el.setAttribute('key', '${key}');
        el.setAttribute('version', '2');
        el.migrate = (old, from) => {
          localStorage.setItem('${key}-runs', String(Number(localStorage.getItem('${key}-runs')) + 1));
          const [first, last] = old.name.split(' ');
          return { first, last, from };
        };
        window.el = el;
        document.body.append(el);
        return true;
      })()`);
    const tabs = [await Tab.open(), await Tab.open()];
    await Promise.all(tabs.map(open));
    for (const tab of tabs) {
      expect(
        await tab.waitFor(`window.el.state === 'open' && window.el.value.first && window.el.value`),
      ).to.deep.equal({ first: 'Ada', last: 'Lovelace', from: 0 });
    }
    expect(localStorage.getItem(`${key}-runs`)).to.equal('1');
    // Opened again later (a reload): already at version 2, nothing to migrate (redux-persist #1111).
    const again = document.createElement('storage-sync') as StorageSyncElement;
    again.setAttribute('key', key);
    again.setAttribute('version', '2');
    let runs = 0;
    again.migrate = (old) => (runs++, old);
    document.body.append(again);
    await opened(again);
    expect([runs, (again.value as { first: string }).first]).to.deep.equal([0, 'Ada']);
    expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({
      version: 2,
      data: '{"first":"Ada","last":"Lovelace","from":0}',
    });
  });

  it('a migrate that throws: migrate-failed, the stored value left alone, the default in memory', async () => {
    const key = uniqueName('migrate-throws');
    const stored = JSON.stringify({ version: 1, data: '{"old":true}' });
    localStorage.setItem(key, stored);
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.setAttribute('version', '2');
    el.setAttribute('default', '{"fresh":true}');
    el.migrate = (_old, from) => {
      throw new Error(`cannot read v${from}`);
    };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await opened(el);
    expect(errors.map((e) => e.code)).to.deep.equal(['migrate-failed']);
    expect(errors[0].message).to.contain('cannot read v1');
    expect(el.value).to.deep.equal({ fresh: true });
    el.value = { edited: true };
    expect(localStorage.getItem(key)).to.equal(stored);
  });

  it('leaves a value of a newer version alone: version-ahead, the default in memory', async () => {
    const key = uniqueName('ahead');
    const stored = JSON.stringify({ version: 3, data: '{"v3":true}' });
    localStorage.setItem(key, stored);
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.setAttribute('version', '2');
    el.defaultValue = { fresh: true };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await opened(el);
    expect(errors.map((e) => e.code)).to.deep.equal(['version-ahead']);
    expect(el.state).to.equal('memory');
    expect(el.value).to.deep.equal({ fresh: true });
    el.value = { edited: true };
    expect(el.value).to.deep.equal({ edited: true });
    expect(localStorage.getItem(key)).to.equal(stored);
  });

  it('max-age: the value expires in every tab with expired: true and is removed', async () => {
    const key = uniqueName('max-age');
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.setAttribute('max-age', '1500');
    el.setAttribute('default', '"none"');
    document.body.append(el);
    await opened(el);
    const here = record<ValueChangeEvent & { expired?: boolean }>(el, 'valuechange');
    const tab = await Tab.open();
    await tab.eval(`(() => {
      const el = document.createElement('storage-sync');
      el.setAttribute('key', '${key}');
      el.setAttribute('max-age', '1500');
      el.setAttribute('default', '"none"');
      window.changes = [];
      el.addEventListener('valuechange', (e) => window.changes.push({ value: e.value, removed: e.removed, expired: e.expired ?? false }));
      window.el = el;
      document.body.append(el);
      return true;
    })()`);
    await tab.waitFor(`window.el.state === 'open'`);
    el.value = 'fresh';
    expect(JSON.parse(localStorage.getItem(key)!).data).to.equal('"fresh"');
    const changes = await tab.waitFor<unknown[]>(`window.changes.length === 2 && window.changes`);
    expect(changes).to.deep.equal([
      { value: 'fresh', removed: false, expired: false },
      { value: 'none', removed: true, expired: true },
    ]);
    await waitUntil(() => here.length === 1, 10_000, 'the expiry here');
    expect([here[0].value, here[0].removed, here[0].expired]).to.deep.equal(['none', true, true]);
    expect(localStorage.getItem(key)).to.equal(null);
    expect(el.value).to.equal('none');
  });

  it('max-age: a value already expired on open reads as the default and is removed', async () => {
    const key = uniqueName('expired');
    localStorage.setItem(key, JSON.stringify({ expires: 1, data: '"old"' }));
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.setAttribute('max-age', '60000');
    const changes = record<ValueChangeEvent & { expired?: boolean }>(el, 'valuechange');
    document.body.append(el);
    await opened(el);
    expect(el.value).to.equal(null);
    await waitUntil(() => changes.length === 1, 10_000, 'the expiry');
    expect(changes[0].expired).to.equal(true);
    expect(localStorage.getItem(key)).to.equal(null);
  });

  it('a serializer round-trips Date, Map and Set across tabs', async () => {
    const key = uniqueName('serializer');
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.serializer = serializer;
    document.body.append(el);
    await opened(el);
    const changes = record<ValueChangeEvent>(el, 'valuechange');
    const tab = await Tab.open();
    await tab.eval(`(() => {
      const el = document.createElement('storage-sync');
      el.setAttribute('key', '${key}');
      el.serializer = ${serializerSource};
      window.el = el;
      document.body.append(el);
      return true;
    })()`);
    await tab.waitFor(`window.el.state === 'open'`);
    await tab.eval(
      `(window.el.value = { at: new Date(0), tags: new Set(['a', 'b']), counts: new Map([['x', 1]]) }), true`,
    );
    await waitUntil(() => changes.length === 1, 10_000, 'the value');
    const value = el.value as { at: Date; tags: Set<string>; counts: Map<string, number> };
    expect(value.at).to.be.instanceOf(Date);
    expect(value.at.getTime()).to.equal(0);
    expect([...value.tags]).to.deep.equal(['a', 'b']);
    expect(value.counts.get('x')).to.equal(1);
  });

  it('merge-defaults adds fields of the default missing from an old stored object', async () => {
    const key = uniqueName('merge');
    localStorage.setItem(key, '{"theme":"dark"}');
    const el = document.createElement('storage-sync') as StorageSyncElement;
    el.setAttribute('key', key);
    el.toggleAttribute('merge-defaults', true);
    el.defaultValue = { theme: 'light', fontSize: 14 };
    document.body.append(el);
    await opened(el);
    expect(el.value).to.deep.equal({ theme: 'dark', fontSize: 14 });
    // What is stored stays what it was (plain JSON) until written.
    expect(localStorage.getItem(key)).to.equal('{"theme":"dark"}');
  });

  it('throttle: a burst of form edits writes the first at once and the last after the wait', async () => {
    const key = uniqueName('throttle');
    const tab = await Tab.open();
    await tab.eval(`(() => {
      window.writes = [];
      addEventListener('storage', (e) => e.key === '${key}' && window.writes.push(e.newValue));
      return true;
    })()`);
    const el = await fixture<StorageSyncElement>(
      html`<storage-sync key=${key} throttle="400"><input name="q" /></storage-sync>`,
    );
    await opened(el);
    // Form reading loads lazily: until it has, an edit is read when it arrives (the last value).
    await el.updateComplete;
    const input = el.querySelector('input')!;
    for (const text of ['h', 'he', 'hel', 'hell', 'hello']) {
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    const writes = await tab.waitFor<string[]>(
      `window.writes.length && window.writes.at(-1) === '{"q":"hello"}' && window.writes`,
      10_000,
    );
    expect(writes).to.deep.equal(['{"q":"h"}', '{"q":"hello"}']);
  });

  it('throttle: what is held is written when the element is removed', async () => {
    const key = uniqueName('throttle-flush');
    const el = await fixture<StorageSyncElement>(
      html`<storage-sync key=${key} throttle="60000"><input name="q" /></storage-sync>`,
    );
    await opened(el);
    await el.updateComplete; // form reading is loaded
    const input = el.querySelector('input')!;
    for (const text of ['a', 'ab']) {
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    expect(localStorage.getItem(key)).to.equal('{"q":"a"}');
    el.remove();
    expect(localStorage.getItem(key)).to.equal('{"q":"ab"}');
  });
});

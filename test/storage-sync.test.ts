import { expect, fixture, html } from '@open-wc/testing';
import '../src/storage-sync-define.js';
import { StorageSyncElement } from '../src/storage-sync.js';
import { RealtimeErrorEvent, ValueChangeEvent } from '../src/index.js';
import {
  Tab,
  closeAllTabs,
  listenerTypes,
  record,
  runInOpaqueFrame,
  sleep,
  typeText,
  uniqueName,
  waitUntil,
} from './helpers.js';

const syncIn = (tab: Tab, key: string, attrs = '', inner = '') =>
  tab.eval(`(async () => {
    const holder = document.createElement('div');
    holder.innerHTML = '<storage-sync key="${key}" ${attrs}>${inner}</storage-sync>';
    const sync = holder.firstElementChild;
    document.body.append(sync);
    await sync.updateComplete;
    window.sync = sync;
    window.changes = [];
    sync.addEventListener('valuechange', (e) =>
      window.changes.push({ value: e.value, oldValue: e.oldValue, key: e.key, removed: e.removed, cleared: e.cleared }));
    return true;
  })()`);

describe('<storage-sync>', () => {
  afterEach(async () => {
    await closeAllTabs();
    localStorage.clear();
    sessionStorage.clear();
  });

  describe('value', () => {
    it('reads the default until something is stored, from HTML', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} type="number" default="7"></storage-sync>`,
      );
      expect(el).to.be.instanceOf(StorageSyncElement);
      expect(el.state).to.equal('open');
      expect(el.value).to.equal(7);
      expect(localStorage.getItem(key)).to.equal(null);
    });

    it('a defaultValue property (objects) takes precedence over the attribute', async () => {
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync
          key=${uniqueName()}
          default="1"
          .defaultValue=${{ items: [] }}
        ></storage-sync>`,
      );
      expect(el.value).to.deep.equal({ items: [] });
    });

    it('writes storage when set, right after createElement + append', async () => {
      const key = uniqueName();
      const el = document.createElement('storage-sync');
      el.key = key;
      document.body.append(el);
      el.value = { draft: 'hello', n: [1, 2] };
      expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({ draft: 'hello', n: [1, 2] });
      expect(el.value).to.deep.equal({ draft: 'hello', n: [1, 2] });
      el.remove();
    });

    it('reads what is stored when it connects, without a valuechange', async () => {
      const key = uniqueName();
      localStorage.setItem(key, '{"saved":true}');
      const el = document.createElement('storage-sync');
      el.key = key;
      const changes = record(el, 'valuechange');
      document.body.append(el);
      await el.updateComplete;
      expect(el.value).to.deep.equal({ saved: true });
      expect(changes).to.have.length(0);
      el.remove();
    });

    it('writes a value set before it was connected when it connects', async () => {
      const key = uniqueName();
      localStorage.setItem(key, '"old"');
      const el = document.createElement('storage-sync');
      el.key = key;
      el.value = 'new';
      document.body.append(el);
      await el.updateComplete;
      expect(localStorage.getItem(key)).to.equal('"new"');
      el.remove();
    });

    for (const [type, value, raw] of [
      ['text', 'plain words', 'plain words'],
      ['number', 42.5, '42.5'],
      ['boolean', false, 'false'],
      ['json', { a: [1, null] }, '{"a":[1,null]}'],
    ] as const) {
      it(`type="${type}" stores ${raw} and reads it back`, async () => {
        const key = uniqueName();
        const el = await fixture<StorageSyncElement>(
          html`<storage-sync key=${key} type=${type}></storage-sync>`,
        );
        el.value = value;
        expect(localStorage.getItem(key)).to.equal(raw);
        const other = await fixture<StorageSyncElement>(
          html`<storage-sync key=${key} type=${type}></storage-sync>`,
        );
        expect(other.value).to.deep.equal(value);
      });
    }

    it('removeValue() clears the key and returns to the default', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} default="0" type="number"></storage-sync>`,
      );
      el.value = 5;
      el.removeValue();
      expect(localStorage.getItem(key)).to.equal(null);
      expect(el.value).to.equal(0);
      el.value = 3;
      el.value = undefined;
      expect(localStorage.getItem(key)).to.equal(null);
    });

    it('re-reads on a key change', async () => {
      const [first, second] = [uniqueName(), uniqueName()];
      localStorage.setItem(second, '"second"');
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${first}></storage-sync>`,
      );
      el.key = second;
      await el.updateComplete;
      expect(el.value).to.equal('second');
    });
  });

  describe('same page', () => {
    it('two elements of one key sync; the setter gets no echo', async () => {
      const key = uniqueName();
      const a = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
      const b = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
      const atA = record<ValueChangeEvent>(a, 'valuechange');
      const atB = record<ValueChangeEvent>(b, 'valuechange');
      a.value = { x: 1 };
      expect(atA).to.have.length(0);
      expect(atB).to.have.length(1);
      const event = atB[0];
      expect(event).to.be.instanceOf(ValueChangeEvent);
      expect(event.bubbles).to.equal(false);
      expect([event.value, event.oldValue, event.key, event.removed, event.cleared]).to.deep.equal([
        { x: 1 },
        null,
        key,
        false,
        false,
      ]);
      a.removeValue();
      expect(atB[1].removed).to.equal(true);
      expect(b.value).to.equal(null);
    });

    it('sessionStorage elements of one page stay in sync', async () => {
      const key = uniqueName();
      const a = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} storage="session"></storage-sync>`,
      );
      const b = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} storage="session"></storage-sync>`,
      );
      a.value = 'tab only';
      expect(sessionStorage.getItem(key)).to.equal('"tab only"');
      expect(b.value).to.equal('tab only');
    });
  });

  describe('between two real tabs', () => {
    it('a value set in one tab reaches the other, with removal and clear()', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} default="none" type="text"></storage-sync>`,
      );
      const changes = record<ValueChangeEvent>(el, 'valuechange');
      const tab = await Tab.open();
      await syncIn(tab, key, 'type="text" default="none"');
      await tab.eval(`window.sync.value = 'from the other tab', true`);
      await waitUntil(() => changes.length === 1);
      expect(el.value).to.equal('from the other tab');
      expect([changes[0].value, changes[0].oldValue, changes[0].removed]).to.deep.equal([
        'from the other tab',
        'none',
        false,
      ]);

      el.value = 'back';
      expect(await tab.waitFor(`window.changes.length === 1 && window.changes[0]`)).to.deep.equal({
        value: 'back',
        oldValue: 'from the other tab',
        key,
        removed: false,
        cleared: false,
      });

      await tab.eval(`window.sync.removeValue(), true`);
      await waitUntil(() => changes.length === 2);
      expect(changes[1].removed).to.equal(true);
      expect(el.value).to.equal('none');

      el.value = 'again';
      await tab.waitFor(`window.changes.length === 2`);
      await tab.eval(`localStorage.clear(), true`);
      await waitUntil(() => changes.length === 3);
      expect([changes[2].cleared, changes[2].removed, changes[2].value]).to.deep.equal([
        true,
        false,
        'none',
      ]);
      expect(el.value).to.equal('none');
    });

    it('sessionStorage does not cross tabs', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} storage="session"></storage-sync>`,
      );
      const tab = await Tab.open();
      await syncIn(tab, key, 'storage="session"');
      await tab.eval(`window.sync.value = 'mine', true`);
      // A localStorage sentinel from the same tab after it: once its storage event is here, a
      // session write that crossed tabs would have been too.
      const sentinel = uniqueName('sentinel');
      const seen = new Promise((resolve) =>
        window.addEventListener('storage', function listener(event) {
          if (event.key !== sentinel) return;
          window.removeEventListener('storage', listener);
          resolve(true);
        }),
      );
      await tab.eval(`localStorage.setItem(${JSON.stringify(sentinel)}, '1'), true`);
      await seen;
      localStorage.removeItem(sentinel);
      expect(el.value).to.equal(null);
    });
  });

  describe('form binding', () => {
    const form = (key: string) =>
      html` <storage-sync key=${key}>
        <form>
          <input name="title" />
          <textarea name="body"></textarea>
          <select name="size">
            <option>s</option>
            <option>m</option>
            <option>l</option>
          </select>
          <select name="tags" multiple>
            <option>a</option>
            <option>b</option>
            <option>c</option>
          </select>
          <input type="checkbox" name="agree" />
          <input type="checkbox" name="colors" value="red" /><input
            type="checkbox"
            name="colors"
            value="blue"
          />
          <input type="radio" name="plan" value="free" /><input
            type="radio"
            name="plan"
            value="pro"
          />
          <input type="date" name="when" />
          <input type="password" name="password" />
          <input name="otp" autocomplete="off" />
          <input name="secret" data-no-sync />
          <fieldset data-no-sync><input name="nested" /></fieldset>
        </form>
      </storage-sync>`;

    it('restores every kind of control when it connects', async () => {
      const key = uniqueName();
      localStorage.setItem(
        key,
        JSON.stringify({
          title: 'T',
          body: 'B\nC',
          size: 'l',
          tags: ['a', 'c'],
          agree: true,
          colors: ['blue'],
          plan: 'pro',
          when: '2026-11-25',
          password: 'never',
          otp: 'never',
          secret: 'never',
          nested: 'never',
        }),
      );
      const el = await fixture<StorageSyncElement>(form(key));
      const f = el.querySelector('form')!;
      const field = (name: string) => f.elements.namedItem(name) as HTMLInputElement;
      expect(field('title').value).to.equal('T');
      expect(field('body').value).to.equal('B\nC');
      expect(field('size').value).to.equal('l');
      expect(
        [...(f.elements.namedItem('tags') as HTMLSelectElement).selectedOptions].map(
          (o) => o.value,
        ),
      ).to.deep.equal(['a', 'c']);
      expect(field('agree').checked).to.equal(true);
      expect(f.querySelector<HTMLInputElement>('[value=blue]')!.checked).to.equal(true);
      expect(f.querySelector<HTMLInputElement>('[value=red]')!.checked).to.equal(false);
      expect(f.querySelector<HTMLInputElement>('[value=pro]')!.checked).to.equal(true);
      expect(field('when').value).to.equal('2026-11-25');
      for (const name of ['password', 'otp', 'secret', 'nested'])
        expect(field(name).value).to.equal('');
    });

    it('saves as the user types, never secrets or opted-out fields', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(form(key));
      const f = el.querySelector('form')!;
      for (const name of ['title', 'password', 'otp', 'secret', 'nested']) {
        (f.elements.namedItem(name) as HTMLInputElement).focus();
        await typeText(`typed-${name}`);
      }
      f.querySelector<HTMLInputElement>('[value=red]')!.click();
      f.querySelector<HTMLInputElement>('[value=free]')!.click();
      const stored = JSON.parse(localStorage.getItem(key)!);
      expect(stored).to.include({ title: 'typed-title', plan: 'free', agree: false });
      expect(stored.colors).to.deep.equal(['red']);
      for (const name of ['password', 'otp', 'secret', 'nested'])
        expect(stored).not.to.have.property(name);
      expect(JSON.stringify(stored)).not.to.contain('typed-password');
    });

    it('follows edits made in another tab, live, and tells frameworks through input events', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(form(key));
      const title = el.querySelector<HTMLInputElement>('[name=title]')!;
      const inputs = record(title, 'input');
      const tab = await Tab.open();
      await syncIn(tab, key, '', '<input name=title><input type=password name=password>');
      await tab.eval(`(() => {
        const input = window.sync.querySelector('[name=title]');
        input.value = 'edited elsewhere';
        input.dispatchEvent(new Event('input', { bubbles: true }));
        return true;
      })()`);
      await waitUntil(() => title.value === 'edited elsewhere', 15_000, 'live form update');
      expect(inputs).to.have.length(1);
      // The restore did not write back (no echo loop): storage holds the other tab's value.
      expect(JSON.parse(localStorage.getItem(key)!).title).to.equal('edited elsewhere');
    });

    describe('a draft discarded elsewhere stays discarded', () => {
      const draftForm = (key: string) =>
        html`<storage-sync key=${key}>
          <form>
            <input name="title" value="Untitled" />
            <textarea name="body"></textarea>
            <input type="checkbox" name="urgent" />
            <select name="size">
              <option>s</option>
              <option selected>m</option>
            </select>
          </form>
        </storage-sync>`;
      const draftInner =
        '<form><input name=title value=Untitled><textarea name=body></textarea>' +
        '<input type=checkbox name=urgent><select name=size><option>s</option><option selected>m</option></select></form>';
      const typeIn = (tab: Tab, name: string, text: string) =>
        tab.eval(`(() => {
          const control = window.sync.querySelector('[name=${name}]');
          control.value += ${JSON.stringify(text)};
          control.dispatchEvent(new Event('input', { bubbles: true }));
          return true;
        })()`);

      it('removeValue() and a form reset in one tab reset the other tab; its next keystroke stores only what it shows', async () => {
        const key = uniqueName();
        // This page is tab B (it types for real); tab A writes and discards the draft.
        const b = await fixture<StorageSyncElement>(draftForm(key));
        const body = b.querySelector('textarea')!;
        const title = b.querySelector<HTMLInputElement>('[name=title]')!;
        const a = await Tab.open();
        await syncIn(a, key, '', draftInner);
        await typeIn(a, 'body', 'secret plan');
        await a.eval(`(() => {
          window.sync.querySelector('[name=urgent]').click();
          return true;
        })()`);
        const urgent = b.querySelector<HTMLInputElement>('[name=urgent]')!;
        await waitUntil(
          () => body.value === 'secret plan' && urgent.checked,
          15_000,
          'draft shown in B',
        );
        const inputs = record(body, 'input');
        // The README's submit pattern in A.
        await a.eval(`(() => {
          window.sync.removeValue();
          window.sync.querySelector('form').reset();
          return true;
        })()`);
        await waitUntil(() => body.value === '', 15_000, 'B reset');
        expect(title.value).to.equal('Untitled');
        expect(urgent.checked).to.equal(false);
        expect(b.querySelector('select')!.value).to.equal('m');
        expect(inputs).to.have.length(1);
        expect(b.value).to.equal(null);
        // Resetting wrote nothing back.
        expect(localStorage.getItem(key)).to.equal(null);
        body.focus();
        await typeText('x');
        const stored = JSON.parse(localStorage.getItem(key)!);
        expect(stored).to.deep.equal({ title: 'Untitled', body: 'x', urgent: false, size: 'm' });
        expect(
          await a.waitFor(`window.sync.querySelector('textarea').value === 'x' &&
            window.sync.querySelector('textarea').value`),
        ).to.equal('x');
      });

      it('storage.clear() elsewhere resets the controls too', async () => {
        const key = uniqueName();
        localStorage.setItem(key, JSON.stringify({ title: 'Old', body: 'old body' }));
        const b = await fixture<StorageSyncElement>(draftForm(key));
        const body = b.querySelector('textarea')!;
        expect(body.value).to.equal('old body');
        const a = await Tab.open();
        await a.eval(`localStorage.clear(), true`);
        await waitUntil(() => body.value === '', 15_000, 'B reset after clear()');
        expect(b.querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('Untitled');
      });

      it('a removal by another element of this page resets this one; the page may set defaults', async () => {
        const key = uniqueName();
        const b = await fixture<StorageSyncElement>(draftForm(key));
        b.defaultValue = { body: 'Dear team,' };
        const other = document.createElement('storage-sync');
        other.key = key;
        document.body.append(other);
        other.value = { title: 'T', body: 'draft' };
        const body = b.querySelector('textarea')!;
        expect(body.value).to.equal('draft');
        other.removeValue();
        expect(body.value).to.equal('Dear team,');
        expect(b.querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('Untitled');
        expect(localStorage.getItem(key)).to.equal(null);
        other.remove();
      });

      it('a reset button discards the stored draft in every tab', async () => {
        const key = uniqueName();
        const el = await fixture<StorageSyncElement>(
          html`<storage-sync key=${key}>
            <form><input name="title" /><button type="reset">Discard</button></form>
          </storage-sync>`,
        );
        const input = el.querySelector('input')!;
        input.focus();
        await typeText('draft');
        expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({ title: 'draft' });
        const other = await Tab.open();
        await syncIn(other, key, '', '<form><input name=title></form>');
        expect(
          await other.waitFor(`window.sync.querySelector('input').value === 'draft' && 'restored'`),
        ).to.equal('restored');
        el.querySelector('button')!.click();
        expect(input.value).to.equal('');
        await waitUntil(() => localStorage.getItem(key) === null, 15_000, 'key removed');
        expect(
          await other.waitFor(`window.sync.querySelector('input').value === '' && 'reset'`),
        ).to.equal('reset');
      });

      it('a reset cancelled by the page keeps the draft', async () => {
        const key = uniqueName();
        const el = await fixture<StorageSyncElement>(
          html`<storage-sync key=${key}>
            <form><input name="title" /></form>
          </storage-sync>`,
        );
        const form = el.querySelector('form')!;
        el.value = { title: 'keep me' };
        // A listener after the element's (on window) cancels the reset.
        const cancel = (event: Event) => event.preventDefault();
        window.addEventListener('reset', cancel, { capture: false });
        form.reset();
        window.removeEventListener('reset', cancel);
        // Then a sentinel write proves the element had its chance to act.
        await sleep(0);
        await new Promise((resolve) => setTimeout(resolve));
        expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({ title: 'keep me' });
        expect(el.querySelector('input')!.value).to.equal('keep me');
      });
    });

    it('field names are data: constructor, __proto__ and toString are stored and restored as fields', async () => {
      const key = uniqueName();
      // Another tab (or an older version) stored an object without these names.
      localStorage.setItem(key, JSON.stringify({ title: 'T' }));
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key}>
          <form>
            <input name="title" />
            <input name="constructor" />
            <input name="toString" />
            <input type="checkbox" name="__proto__" value="a" /><input
              type="checkbox"
              name="__proto__"
              value="b"
            />
          </form>
        </storage-sync>`,
      );
      const field = (name: string) => el.querySelector<HTMLInputElement>(`[name="${name}"]`)!;
      // Names the stored object does not have are left alone, not filled from its prototype.
      expect([field('constructor').value, field('toString').value]).to.deep.equal(['', '']);
      field('constructor').focus();
      await typeText('c');
      el.querySelector<HTMLInputElement>('[value=b]')!.click();
      const stored = JSON.parse(localStorage.getItem(key)!);
      expect(Object.keys(stored).sort()).to.deep.equal(
        ['__proto__', 'constructor', 'title', 'toString'].sort(),
      );
      expect([stored.constructor, stored.__proto__]).to.deep.equal(['c', ['b']]);
      // And back: another element of the key restores them as fields.
      const other = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key}>
          <form>
            <input name="constructor" />
            <input type="checkbox" name="__proto__" value="a" /><input
              type="checkbox"
              name="__proto__"
              value="b"
            />
          </form>
        </storage-sync>`,
      );
      expect(other.querySelector<HTMLInputElement>('[name=constructor]')!.value).to.equal('c');
      expect(other.querySelector<HTMLInputElement>('[value=b]')!.checked).to.equal(true);
      expect(Object.getPrototypeOf(other.value)).to.equal(Object.prototype);
    });

    it("a key change shows the new key's draft, or the defaults: never carries the old one over", async () => {
      const first = uniqueName();
      const second = uniqueName();
      const third = uniqueName();
      localStorage.setItem(third, JSON.stringify({ body: 'third draft' }));
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${first}>
          <form><input name="title" value="Untitled" /><textarea name="body"></textarea></form>
        </storage-sync>`,
      );
      const body = el.querySelector('textarea')!;
      body.focus();
      await typeText('first draft');
      // A single-page app switches documents: the element now saves another key.
      el.key = second;
      await el.updateComplete;
      expect(body.value).to.equal('');
      expect(el.querySelector('input')!.value).to.equal('Untitled');
      expect(localStorage.getItem(second)).to.equal(null);
      el.key = third;
      await el.updateComplete;
      expect(body.value).to.equal('third draft');
      el.key = first;
      await el.updateComplete;
      expect(body.value).to.equal('first draft');
    });

    it('restores controls added later', async () => {
      const key = uniqueName();
      localStorage.setItem(key, JSON.stringify({ late: 'restored' }));
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key}><form></form></storage-sync>`,
      );
      const input = document.createElement('input');
      input.name = 'late';
      el.querySelector('form')!.append(input);
      await waitUntil(() => input.value === 'restored', 15_000, 'late control restored');
    });
  });

  describe('bad input and faults', () => {
    it('missing-key and invalid-attribute are error events, not exceptions', async () => {
      const el = document.createElement('storage-sync');
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await el.updateComplete;
      expect(errors.map((e) => e.code)).to.deep.equal(['missing-key']);
      expect(el.state).to.equal('closed');
      el.key = uniqueName();
      el.setAttribute('type', 'xml');
      await el.updateComplete;
      expect(errors.map((e) => e.code)).to.deep.equal(['missing-key', 'invalid-attribute']);
      expect(errors[1].message).to.contain('xml');
      el.remove();
    });

    it('corrupt stored data gives parse-error with the raw string and falls back to the default', async () => {
      const key = uniqueName();
      localStorage.setItem(key, '{not json');
      const el = document.createElement('storage-sync');
      el.key = key;
      el.defaultValue = { fallback: true };
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await el.updateComplete;
      expect(errors).to.have.length(1);
      expect(errors[0].code).to.equal('parse-error');
      expect(errors[0].raw).to.equal('{not json');
      expect(el.value).to.deep.equal({ fallback: true });
      expect(localStorage.getItem(key)).to.equal('{not json');
      // Kept for a page that listens later; it is open (reading went on with the default).
      expect([el.state, el.error]).to.deep.equal(['open', errors[0]]);
      el.key = uniqueName();
      await el.updateComplete;
      expect(el.error).to.equal(null);
      el.remove();
    });

    it('a number key holding words is a parse-error too, also when it arrives from another tab', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} type="number" default="1"></storage-sync>`,
      );
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const tab = await Tab.open();
      await tab.eval(`localStorage.setItem(${JSON.stringify(key)}, 'twelve'), true`);
      await waitUntil(() => errors.length === 1);
      expect([errors[0].code, errors[0].raw]).to.deep.equal(['parse-error', 'twelve']);
      expect(el.value).to.equal(1);
    });

    it('values JSON cannot represent throw at once and leave storage alone', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
      el.value = { kept: true };
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => (el.value = cyclic)).to.throw(TypeError, /JSON/);
      expect(() => (el.value = { big: 10n })).to.throw(TypeError, /JSON/);
      expect(() => (el.value = () => 1)).to.throw(TypeError);
      expect(localStorage.getItem(key)).to.equal('{"kept":true}');
      expect(el.value).to.deep.equal({ kept: true });
      const text = await fixture<StorageSyncElement>(
        html`<storage-sync key=${uniqueName()} type="number"></storage-sync>`,
      );
      expect(() => (text.value = 'five')).to.throw(TypeError, /number/);
    });

    it('quota-exceeded keeps the value in memory, the old stored value intact, and retries', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
      el.value = 'small';
      const errors = record<RealtimeErrorEvent>(el, 'error');
      // Fill the origin's real quota.
      const filler: string[] = [];
      for (let size = 1 << 20; size >= 1024;) {
        try {
          localStorage.setItem(`filler-${filler.length}`, 'x'.repeat(size));
          filler.push(`filler-${filler.length}`);
        } catch {
          size >>= 1;
        }
      }
      const big = 'y'.repeat(100_000);
      el.value = big;
      expect(errors.map((e) => e.code)).to.deep.equal(['quota-exceeded']);
      expect(el.value).to.equal(big);
      expect(localStorage.getItem(key)).to.equal('"small"');

      // Another tab frees space: the storage activity retries the write.
      const tab = await Tab.open();
      await tab.eval(
        `(() => { for (const k of ${JSON.stringify(filler)}) localStorage.removeItem(k); return true; })()`,
      );
      await waitUntil(
        () => localStorage.getItem(key) === JSON.stringify(big),
        15_000,
        'retried write',
      );
      expect(errors).to.have.length(1);
    });

    it('a removal elsewhere cancels a write still waiting for quota', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
      const filler: string[] = [];
      for (let size = 1 << 20; size >= 1024;) {
        try {
          localStorage.setItem(`filler-${filler.length}`, 'x'.repeat(size));
          filler.push(`filler-${filler.length}`);
        } catch {
          size >>= 1;
        }
      }
      const errors = record<RealtimeErrorEvent>(el, 'error');
      el.value = 'y'.repeat(100_000);
      expect(errors.map((e) => e.code)).to.deep.equal(['quota-exceeded']);
      expect(el.error?.code).to.equal('quota-exceeded');
      // Another element of this page discards the value, then another tab frees space.
      const other = document.createElement('storage-sync');
      other.key = key;
      document.body.append(other);
      other.removeValue();
      const sentinel = uniqueName('sentinel');
      const seen = new Promise((resolve) =>
        window.addEventListener('storage', function done(event) {
          if (event.key !== sentinel) return;
          window.removeEventListener('storage', done);
          resolve(true);
        }),
      );
      const tab = await Tab.open();
      await tab.eval(`(() => {
        for (const k of ${JSON.stringify(filler)}) localStorage.removeItem(k);
        localStorage.setItem(${JSON.stringify(sentinel)}, '1');
        return true;
      })()`);
      await seen;
      // (a prefix: a failure would otherwise print 100,000 characters)
      expect(localStorage.getItem(key)?.slice(0, 20) ?? null).to.equal(null);
      expect(el.value).to.equal(null);
      other.remove();
    });

    it('storage-unavailable in an opaque-origin frame, and keeps working in memory', async () => {
      const data = await runInOpaqueFrame(`
        import '${location.origin}/src/storage-sync-define.ts';
        const a = document.createElement('storage-sync');
        const b = document.createElement('storage-sync');
        a.key = b.key = 'k';
        const codes = [];
        a.addEventListener('error', (e) => codes.push(e.code));
        document.body.append(a, b);
        await a.updateComplete;
        a.value = { in: 'memory' };
        parent.postMessage({ codes, state: a.state, value: a.value, peer: b.value }, '*');
      `);
      expect(data).to.deep.equal({
        codes: ['storage-unavailable'],
        state: 'memory',
        value: { in: 'memory' },
        peer: { in: 'memory' },
      });
    });
  });

  describe('lifecycle', () => {
    it('disconnect removes the storage listener; reconnect adds it back', async () => {
      const before = (await listenerTypes('window')).filter((type) => type === 'storage').length;
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${uniqueName()}></storage-sync>`,
      );
      expect((await listenerTypes('window')).filter((type) => type === 'storage').length).to.equal(
        before + 1,
      );
      const parent = el.parentElement!;
      el.remove();
      expect((await listenerTypes('window')).filter((type) => type === 'storage').length).to.equal(
        before,
      );
      parent.append(el);
      await el.updateComplete;
      expect((await listenerTypes('window')).filter((type) => type === 'storage').length).to.equal(
        before + 1,
      );
      el.remove();
    });

    it('a removed element receives nothing from other tabs', async () => {
      const key = uniqueName();
      const el = await fixture<StorageSyncElement>(html`<storage-sync key=${key}></storage-sync>`);
      const changes = record(el, 'valuechange');
      el.remove();
      // A live element on the same key is the sentinel: once it has the change, so would el.
      const witness = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key}></storage-sync>`,
      );
      const witnessed = record(witness, 'valuechange');
      const tab = await Tab.open();
      await tab.eval(`localStorage.setItem(${JSON.stringify(key)}, '1'), true`);
      await waitUntil(() => witnessed.length > 0, 15_000, 'the change at a live element');
      expect(changes).to.have.length(0);
    });

    it('disabled keeps it closed', async () => {
      const key = uniqueName();
      localStorage.setItem(key, '"stored"');
      const el = await fixture<StorageSyncElement>(
        html`<storage-sync key=${key} disabled></storage-sync>`,
      );
      expect(el.state).to.equal('closed');
      el.value = 'held';
      expect(localStorage.getItem(key)).to.equal('"stored"');
      el.disabled = false;
      await el.updateComplete;
      expect(el.state).to.equal('open');
      expect(localStorage.getItem(key)).to.equal('"held"');
    });
  });
});

describe('<storage-sync>: a call from inside a listener wins over what the element does next', () => {
  afterEach(() => document.querySelectorAll('storage-sync').forEach((el) => el.remove()));

  it('remove() in an open listener: closed, and later changes are not heard', async () => {
    const key = uniqueName('wins');
    const el = document.createElement('storage-sync');
    const sentinel = document.createElement('storage-sync');
    const writer = document.createElement('storage-sync');
    for (const each of [el, sentinel, writer]) each.setAttribute('key', key);
    el.addEventListener('open', () => el.remove(), { once: true });
    const heard = record(el, 'valuechange');
    const atSentinel = record(sentinel, 'valuechange');
    document.body.append(el);
    await waitUntil(() => !el.isConnected && el.state === 'closed');
    document.body.append(sentinel, writer);
    await writer.updateComplete;
    writer.value = 'after';
    await waitUntil(() => atSentinel.length === 1);
    expect(heard).to.have.length(0);
  });
});

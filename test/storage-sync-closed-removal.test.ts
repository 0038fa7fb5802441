import { expect, fixture, html } from '@open-wc/testing';
import '../src/storage-sync-define.js';
import { StorageSyncElement } from '../src/storage-sync.js';
import { Tab, closeAllTabs, typeText, uniqueName, waitUntil } from './helpers.js';

const draftForm = (key: string, storage = 'local') =>
  html`<storage-sync key=${key} storage=${storage}>
    <form>
      <input name="title" value="Untitled" />
      <textarea name="body"></textarea>
    </form>
  </storage-sync>`;

/**
 * A draft discarded elsewhere while this element was closed — detached by a framework's
 * keep-alive cache, or `disabled` — must not come back when it opens again (the same fault as a
 * removal seen live: carbon-components-svelte #3195, react-hookz/web #1545).
 */
describe('<storage-sync> draft removed while the element was closed, or its key changed', () => {
  afterEach(async () => {
    await closeAllTabs();
    localStorage.clear();
    sessionStorage.clear();
  });

  const closers: [string, (el: StorageSyncElement) => void, (el: StorageSyncElement) => void][] = [
    [
      'detached (keep-alive) and re-attached',
      (el) => el.remove(),
      (el) => document.body.append(el),
    ],
    ['disabled and enabled', (el) => (el.disabled = true), (el) => (el.disabled = false)],
  ];
  for (const [how, close, reopen] of closers) {
    it(`${how}: the controls show the defaults and the next keystroke stores only them`, async () => {
      const key = uniqueName();
      const b = await fixture<StorageSyncElement>(draftForm(key));
      const body = b.querySelector('textarea')!;
      const a = await Tab.open();
      await a.eval(`(() => {
        localStorage.setItem(${JSON.stringify(key)}, JSON.stringify({ title: 'Plan', body: 'secret plan' }));
        return true;
      })()`);
      await waitUntil(() => body.value === 'secret plan', 15_000, 'draft shown');
      close(b);
      await b.updateComplete;
      await a.eval(`(localStorage.removeItem(${JSON.stringify(key)}), true)`);
      // Another tab's change reaches this tab's storage area asynchronously (Chromium mirrors
      // it per renderer): the element reads it when it opens, so wait until it is here.
      await waitUntil(() => localStorage.getItem(key) === null, 15_000, 'the removal to arrive');
      reopen(b);
      await b.updateComplete;
      expect(b.state).to.equal('open');
      expect(b.value).to.equal(null);
      expect(body.value).to.equal('');
      expect(b.querySelector<HTMLInputElement>('[name=title]')!.value).to.equal('Untitled');
      body.focus();
      await typeText('x');
      expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({
        title: 'Untitled',
        body: 'x',
      });
    });
  }

  it('a tab in the back-forward cache learns of the removal when it is restored', async () => {
    const key = uniqueName();
    localStorage.setItem(key, JSON.stringify({ title: 'Plan', body: 'secret plan' }));
    const tab = await Tab.open();
    await tab.eval(`(async () => {
      const holder = document.createElement('div');
      holder.innerHTML = '<storage-sync key="${key}"><form><input name=title value=Untitled><textarea name=body></textarea></form></storage-sync>';
      document.body.append(holder);
      window.sync = holder.firstElementChild;
      await window.sync.updateComplete;
      window.restored = false;
      window.addEventListener('pageshow', (e) => (window.restored = e.persisted));
      window.changes = [];
      window.sync.addEventListener('valuechange', (e) => window.changes.push([e.removed, e.value]));
      return window.sync.querySelector('textarea').value === 'secret plan';
    })()`);
    await tab.navigate(
      '/test/fixtures/tab.html?away',
      `location.search === '?away' && window.tabReady`,
    );
    localStorage.removeItem(key);
    await tab.navigate('back', 'window.restored');
    const shown = await tab.waitFor<string[]>(
      `window.restored && window.sync.querySelector('textarea').value === '' &&
        [window.sync.querySelector('[name=title]').value, String(window.sync.value)]`,
    );
    expect(shown).to.deep.equal(['Untitled', 'null']);
    // Announced as a storage event would announce it: one valuechange, removed.
    expect(await tab.eval('window.changes')).to.deep.equal([[true, null]]);
  });

  it('a draft never stored is left alone when the element re-opens (the user may have typed meanwhile)', async () => {
    const key = uniqueName();
    const b = await fixture<StorageSyncElement>(draftForm(key));
    const body = b.querySelector('textarea')!;
    b.disabled = true;
    await b.updateComplete;
    body.value = 'typed while disabled';
    b.disabled = false;
    await b.updateComplete;
    expect(body.value).to.equal('typed while disabled');
  });

  it('sessionStorage: a removal by another element of this page resets this one', async () => {
    const key = uniqueName();
    const host = await fixture<HTMLDivElement>(
      html`<div>${draftForm(key, 'session')}${draftForm(key, 'session')}</div>`,
    );
    const [first, second] = host.querySelectorAll<StorageSyncElement>('storage-sync');
    await first.updateComplete;
    await second.updateComplete;
    first.querySelector('textarea')!.focus();
    await typeText('draft');
    expect(second.querySelector('textarea')!.value).to.equal('draft');
    // The README's submit pattern; focus is still in the field that was typed in.
    first.removeValue();
    first.querySelector('form')!.reset();
    expect(second.querySelector('textarea')!.value).to.equal('');
    second.querySelector('textarea')!.focus();
    await typeText('y');

    expect(JSON.parse(sessionStorage.getItem(key)!)).to.deep.equal({
      title: 'Untitled',
      body: 'y',
    });
  });

  // The key-change rule ("one document's text never carries over into another's") for a write
  // still waiting for quota: retried later, it must go nowhere near the new key.
  it('a write waiting for quota is never retried under the next key', async () => {
    const first = uniqueName('doc-1');
    const second = uniqueName('doc-2');
    const el = await fixture<StorageSyncElement>(html`<storage-sync key=${first}></storage-sync>`);
    const filler: string[] = [];
    for (let size = 1 << 20; size >= 1024;) {
      try {
        localStorage.setItem(`filler-${filler.length}`, 'x'.repeat(size));
        filler.push(`filler-${filler.length}`);
      } catch {
        size >>= 1;
      }
    }
    el.value = 'y'.repeat(100_000);
    expect(el.error?.code).to.equal('quota-exceeded');
    el.key = second;
    await el.updateComplete;
    expect(el.value).to.equal(null);
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
    expect(localStorage.getItem(second)?.slice(0, 20) ?? null).to.equal(null);
    expect(el.value).to.equal(null);
  });

  it('the user was typing when another tab discarded the draft: leaving the field writes nothing back', async () => {
    const key = uniqueName();
    const b = await fixture<StorageSyncElement>(draftForm(key));
    const body = b.querySelector('textarea')!;
    body.focus();
    await typeText('half a thought');
    expect(JSON.parse(localStorage.getItem(key)!).body).to.equal('half a thought');
    const a = await Tab.open();
    await a.eval(`(localStorage.removeItem(${JSON.stringify(key)}), true)`);
    await waitUntil(() => body.value === '', 15_000, 'reset');
    // Leaving the field: a native change event would store the (reset) form as a new draft.
    b.querySelector<HTMLInputElement>('[name=title]')!.focus();
    body.blur();
    expect(localStorage.getItem(key)).to.equal(null);
  });
});

/**
 * Keys from outside are data (ARCHITECTURE.md): a frame type, topic, event type, storage key or form
 * field name is never looked up on a plain object's prototype chain. The hub's side is in
 * test/node/server/ws-protocol.test.mjs; these are the elements'.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/tab-channel-define.js';
import { readForm, syncedControls, writeForm } from '../src/internal/form-binding.js';
import type { TabChannelElement } from '../src/tab-channel.js';
import type { RealtimeErrorEvent } from '../src/index.js';
import { record, uniqueName, waitUntil } from './helpers.js';

describe('inherited names are data', () => {
  it('form fields named __proto__, constructor and toString are read and written like any other', async () => {
    const form = await fixture<HTMLFormElement>(html`
      <form>
        <input name="__proto__" value="a" />
        <input name="constructor" type="checkbox" value="x" checked />
        <input name="constructor" type="checkbox" value="y" />
        <input name="toString" type="radio" value="r1" />
        <input name="toString" type="radio" value="r2" />
      </form>
    `);
    const controls = syncedControls(form);
    const data = readForm(controls);
    // JSON text: an object literal's `__proto__:` would set the prototype, not a key.
    expect(JSON.stringify(data)).to.equal('{"__proto__":"a","constructor":["x"],"toString":null}');
    expect(Object.getPrototypeOf({})).to.equal(Object.prototype);
    // Stored data without those keys leaves the fields alone (no inherited `constructor`).
    expect(writeForm(controls, { other: 1 })).to.equal(false);
    expect(writeForm(controls, JSON.parse('{"__proto__":"b","toString":"r2"}'))).to.equal(true);
    expect(JSON.stringify(readForm(controls))).to.equal(
      '{"__proto__":"b","constructor":["x"],"toString":"r2"}',
    );
  });

  it('transport="constructor" on <tab-channel> is an invalid-attribute error', async () => {
    const el = document.createElement('tab-channel') as TabChannelElement;
    el.setAttribute('name', uniqueName());
    el.setAttribute('transport', 'constructor');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.length > 0, 15_000);
    expect(errors[0]!.code).to.equal('invalid-attribute');
    el.remove();
  });
});

import { expect } from '@open-wc/testing';
import { TabChannelElement } from '../src/tab-channel.js';
import '../src/define.js';

describe('define()', () => {
  it('is a no-op when the same class is defined twice', () => {
    expect(() => TabChannelElement.define()).not.to.throw();
    expect(customElements.get('tab-channel')).to.equal(TabChannelElement);
  });

  it('warns instead of throwing when another class holds the tag', () => {
    const warnings: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      class Copy extends TabChannelElement {}
      expect(() => Copy.define('tab-channel')).not.to.throw();
    } finally {
      console.warn = original;
    }
    expect(String(warnings[0]?.[0])).to.contain('<tab-channel> is already defined');
    expect(customElements.get('tab-channel')).to.equal(TabChannelElement);
  });

  it('accepts another tag and another registry', async () => {
    class Renamed extends TabChannelElement {}
    Renamed.define('renamed-channel');
    expect(customElements.get('renamed-channel')).to.equal(Renamed);
    const el = document.createElement('renamed-channel') as Renamed;
    el.name = 'x';
    document.body.append(el);
    await el.updateComplete;
    expect(el.state).to.equal('open');
    el.remove();
  });

  it('defines a class that already has a tag under a second one (through a subclass)', async () => {
    expect(customElements.get('tab-channel')).to.equal(TabChannelElement);
    expect(() => TabChannelElement.define('second-channel')).not.to.throw();
    const Second = customElements.get('second-channel')!;
    expect(Second.prototype).to.be.instanceOf(TabChannelElement);
    const el = document.createElement('second-channel') as TabChannelElement;
    el.name = 'second';
    document.body.append(el);
    await el.updateComplete;
    expect(el.state).to.equal('open');
    el.remove();
    const warnings: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      TabChannelElement.define('second-channel'); // again: a quiet no-op, like the first tag
    } finally {
      console.warn = original;
    }
    expect(warnings).to.deep.equal([]);
  });
});

import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Tab, closeAllTabs } from './helpers.js';

describe('CDN bundle in a plain static page', () => {
  afterEach(() => closeAllTabs());

  it('defines <tab-channel> and carries messages between two tabs', async () => {
    const origin = await executeServerCommand<string, unknown>('static-server', {
      mounts: { '/cdn/': 'dist/cdn', '/': 'test/fixtures/cdn' },
    });
    const page = `${origin}/tab-channel.html`;
    const [first, second] = [await Tab.open(page), await Tab.open(page)];
    expect(
      await first.eval(
        `fetch('/node_modules/@lit/reactive-element/package.json').then((r) => r.status)`,
      ),
    ).to.equal(404);
    expect(await first.eval(`document.querySelector('script[type=importmap]')`)).to.equal(null);
    expect(await first.eval(`document.querySelector('tab-channel').state`)).to.equal('open');
    await second.eval(`document.querySelector('tab-channel').post({ from: 'second' }), true`);
    expect(await first.waitFor('window.log.length && window.log')).to.deep.equal([
      { from: 'second' },
    ]);
    expect(await second.eval('window.log')).to.deep.equal([]);
  });

  for (const transport of ['storage', 'idb', 'cookie']) {
    it(`loads the ${transport} fallback chunk on demand, relative to the bundle`, async () => {
      const origin = await executeServerCommand<string, unknown>('static-server', {
        mounts: { '/cdn/': 'dist/cdn', '/': 'test/fixtures/cdn' },
      });
      const page = `${origin}/tab-channel.html?transport=${transport}`;
      const [first, second] = [await Tab.open(page), await Tab.open(page)];
      expect(await first.eval(`document.querySelector('tab-channel').activeTransport`)).to.equal(
        transport,
      );
      const chunks = await first.eval<string[]>(
        `performance.getEntriesByType('resource').map((entry) => entry.name).filter((name) => name.includes('/cdn/chunks/'))`,
      );
      expect(chunks.some((name) => name.includes(`${transport}-channel`))).to.equal(true);
      await second.eval(
        `document.querySelector('tab-channel').post({ via: '${transport}' }), true`,
      );
      expect(await first.waitFor('window.log.length && window.log')).to.deep.equal([
        { via: transport },
      ]);
    });
  }
});

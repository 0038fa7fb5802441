import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Tab, closeAllTabs } from './helpers.js';

const staticOrigin = () =>
  executeServerCommand<string, unknown>('static-server', {
    mounts: { '/cdn/': 'dist/cdn', '/': 'test/fixtures/cdn' },
  });

/** Each element file: the tag, its class name, and the error it reports with no attributes. */
const elementFiles: [tag: string, className: string, missingCode: string][] = [
  ['tab-channel', 'TabChannelElement', 'missing-name'],
  ['storage-sync', 'StorageSyncElement', 'missing-key'],
  ['popup-bridge', 'PopupBridgeElement', 'no-opener'],
  ['sw-relay', 'SwRelayElement', 'missing-name'],
  ['sse-feed', 'SseFeedElement', 'missing-src'],
  ['socket-relay', 'SocketRelayElement', 'missing-src'],
  ['poll-feed', 'PollFeedElement', 'missing-src'],
];

describe('CDN bundle in a plain static page', () => {
  afterEach(() => closeAllTabs());

  it('defines <tab-channel> and carries messages between two tabs', async () => {
    const origin = await staticOrigin();
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
    // A reply as the sentinel: once it is in, the sender's own post would be too.
    await first.eval(`document.querySelector('tab-channel').post({ from: 'first' }), true`);
    expect(await second.waitFor('window.log.length && window.log')).to.deep.equal([
      { from: 'first' },
    ]);
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

  for (const [tag, className, missingCode] of elementFiles) {
    it(`dist/cdn/${tag}.js alone defines <${tag}> and runs it`, async () => {
      const tab = await Tab.open(`${await staticOrigin()}/element.html?file=${tag}.js`);
      const found = await tab.eval<{
        defined: string;
        others: string[];
        codes: string[];
      }>(`(async () => {
        const el = document.createElement('${tag}');
        const codes = [];
        el.addEventListener('error', (event) => codes.push(event.code));
        document.body.append(el);
        await el.updateComplete;
        // The report may come after the update (a lazy chunk): wait for it, then a little more
        // for a second one that must not come.
        for (const end = performance.now() + 10000; !codes.length && performance.now() < end; )
          await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const all = ['tab-channel', 'storage-sync', 'popup-bridge', 'sw-relay', 'sse-feed', 'socket-relay', 'poll-feed'];
        return {
          defined: customElements.get('${tag}')?.defaultTag,
          others: all.filter((other) => other !== '${tag}' && customElements.get(other)),
          codes,
        };
      })()`);
      expect(found.defined, className).to.equal(tag);
      expect(found.others, 'one file defines one tag').to.deep.equal([]);
      expect(found.codes).to.deep.equal([missingCode]);
    });
  }

  it('the autoloader defines only the tags in the page, and tags added later', async () => {
    const tab = await Tab.open(`${await staticOrigin()}/autoload.html`);
    const defined = () =>
      tab.eval<string[]>(
        `['tab-channel', 'storage-sync', 'popup-bridge', 'sw-relay', 'sse-feed', 'socket-relay', 'poll-feed'].filter((tag) => customElements.get(tag))`,
      );
    expect(await defined()).to.deep.equal(['tab-channel', 'sse-feed']);
    // The page is ready once the tags are defined; the channel opens after its upgrade.
    expect(await tab.waitFor(`document.querySelector('tab-channel').state === 'open'`)).to.equal(
      true,
    );

    await tab.eval(`(() => {
      const holder = document.createElement('section');
      holder.innerHTML = '<p><storage-sync key="auto"></storage-sync></p>';
      document.body.append(holder);
      return true;
    })()`);
    await tab.waitFor(`customElements.get('storage-sync')`);
    expect(await defined()).to.deep.equal(['tab-channel', 'storage-sync', 'sse-feed']);
    expect(await tab.waitFor(`document.querySelector('storage-sync').state === 'open'`)).to.equal(
      true,
    );
    const scripts = await tab.eval<string[]>(
      `performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname).filter((path) => path.endsWith('.js'))`,
    );
    expect(scripts.some((path) => path.includes('popup-bridge'))).to.equal(false);
    expect(scripts.some((path) => path.includes('storage-sync'))).to.equal(true);
  });
});

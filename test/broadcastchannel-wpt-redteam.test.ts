/**
 * Red-team inputs for issue #21 (peer reports of pubkey/broadcast-channel and storage-event
 * polyfills, re-tried against each transport in real Chromium with real second tabs), native
 * `BroadcastChannel` as the control.
 */
import { expect } from '@open-wc/testing';
import { implementations, type Impl } from './fixtures/channel-peer.js';
import { Tab, closeAllTabs, uniqueName, waitUntil } from './helpers.js';

type AnyChannel = InstanceType<(typeof implementations)[Impl]>;
const impls: Impl[] = ['native', 'storage', 'idb', 'cookie'];
const PEER = '/test/fixtures/channel-peer.html';

const opened: AnyChannel[] = [];
afterEach(async () => {
  for (const channel of opened.splice(0)) channel.close();
  await closeAllTabs();
});

async function open(impl: Impl, name: string, options?: object): Promise<AnyChannel> {
  const channel = options
    ? new implementations[impl](name, options)
    : new implementations[impl](name);
  opened.push(channel);
  await channel.ready;
  return channel;
}

async function tab() {
  const page = await Tab.open(PEER);
  const call = <T = unknown>(method: string, ...args: unknown[]) =>
    page.eval<T>(`window.peer.${method}(...${JSON.stringify(args)})`);
  return { page, call };
}

for (const impl of impls) {
  describe(`red team #21: ${impl}`, () => {
    it('1,000 messages posted in one task reach a second tab all, once, in order', async function () {
      this.timeout(60_000);
      const name = uniqueName('burst');
      const other = await tab();
      await other.call('open', 't', impl, name);
      const here = await open(impl, name);
      for (let i = 0; i < 1000; i++) here.postMessage(i);
      here.postMessage('end');
      await other.page.waitFor(`window.peer.received('t').includes('end')`, 50_000);
      const got = await other.call<unknown[]>('received', 't');
      expect(got).to.deep.equal([...Array.from({ length: 1000 }, (_, i) => i), 'end']);
    });

    it('names that differ only by Unicode normalization are different channels', async () => {
      const nfc = 'caf\u00e9';
      const nfd = 'cafe\u0301';
      const base = uniqueName('norm');
      const other = await tab();
      await other.call('open', 'nfd', impl, base + nfd);
      await other.call('open', 'nfc', impl, base + nfc);
      const here = await open(impl, base + nfc);
      here.postMessage('to-nfc');
      const sentinel = await open(impl, base + nfd);
      sentinel.postMessage('to-nfd');
      await other.page.waitFor(`window.peer.received('nfd').includes('to-nfd')`, 10_000);
      await other.page.waitFor(`window.peer.received('nfc').includes('to-nfc')`, 10_000);
      expect(await other.call('received', 'nfd')).to.deep.equal(['to-nfd']);
      expect(await other.call('received', 'nfc')).to.deep.equal(['to-nfc']);
    });

    it('close() then a new channel of the same name in the same task: the new one hears what comes after, only', async () => {
      const name = uniqueName('reopen');
      const other = await tab();
      await other.call('open', 't', impl, name);
      const first = await open(impl, name);
      first.postMessage('before');
      first.close();
      const second = new implementations[impl](name);
      opened.push(second);
      const got: unknown[] = [];
      second.addEventListener('message', (e) => got.push((e as MessageEvent).data));
      await second.ready;
      second.postMessage('after');
      await other.page.waitFor(`window.peer.received('t').includes('after')`, 10_000);
      expect(await other.call('received', 't')).to.deep.equal(['before', 'after']);
      await other.call('post', 't', 'reply');
      await waitUntil(() => got.includes('reply'), 10_000, 'the reply');
      expect(got).to.deep.equal(['reply']);
    });
  });
}

describe('red team #21: idb reader stalled past the ttl', () => {
  it('a tab frozen by a busy loop longer than the ttl gets every message or message-lost, never a silent gap', async function () {
    this.timeout(30_000);
    const name = uniqueName('frozen');
    const other = await tab();
    await other.call('open', 't', 'idb', name, { ttl: 200 });
    await other.page.eval(
      `(window.errors = [], window.peer.channels.get('t').addEventListener('error', (e) => window.errors.push(e.code)), true)`,
    );
    const here = await open('idb', name, { ttl: 200 });
    here.postMessage('first');
    await other.page.waitFor(`window.peer.received('t').includes('first')`, 10_000);
    // The other tab hangs for 2 s (a busy loop) while this one posts and sweeps.
    const frozen = other.page.eval(
      `(() => { const end = performance.now() + 2000; while (performance.now() < end); return true; })()`,
    );
    await new Promise((r) => setTimeout(r, 100));
    here.postMessage('missed-1');
    here.postMessage('missed-2');
    await frozen;
    here.postMessage('end');
    await other.page.waitFor(`window.peer.received('t').includes('end')`, 10_000);
    const got = await other.call<unknown[]>('received', 't');
    const errors = await other.page.eval<string[]>('window.errors');
    if (got.length < 4) expect(errors).to.include('message-lost');
    else expect(got).to.deep.equal(['first', 'missed-1', 'missed-2', 'end']);
  });
});

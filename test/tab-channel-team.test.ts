/**
 * `<tab-channel>` members working together across real tabs: the retained message for late
 * joiners, requests (handed over to the next leader), presence, leaderchange in every member,
 * `claim()` and `prefer-visible`. Every look at another tab waits for its condition.
 */
import { expect, fixture, html } from '@open-wc/testing';
import '../src/tab-channel-define.js';
import type { TabChannelElement, TabChannelMessageEvent } from '../src/tab-channel.js';
import type { TabRequestError } from '../src/tab-channel-team.js';
import { Tab, closeAllTabs, record, sleep, uniqueName, waitUntil, faultRun } from './helpers.js';

/** A tab with `<tab-channel name attrs>` as `window.el`, its events in `window.events`. */
async function member(name: string, attributes: string, handler = ''): Promise<Tab> {
  const tab = await Tab.open();
  await tab.eval(`(() => {
    const holder = document.createElement('div');
    holder.innerHTML = '<tab-channel name="${name}" ${attributes}></tab-channel>';
    const el = (window.el = holder.firstElementChild);
    window.events = [];
    for (const type of ['message', 'leaderchange', 'peerschange', 'error']) {
      el.addEventListener(type, (event) => {
        window.events.push({ type, data: event.data ?? null, retained: event.retained ?? null,
          leaderId: event.leaderId ?? null, leader: event.leader ?? null, code: event.code ?? null });
        ${handler}
      });
    }
    document.body.append(el);
    return true;
  })()`);
  return tab;
}

const hide = (hidden: boolean) => `(() => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
  document.dispatchEvent(new Event('visibilitychange'));
  return true;
})()`;

describe('<tab-channel> together', function () {
  this.timeout(60_000);
  afterEach(async () => {
    document.querySelectorAll('tab-channel').forEach((el) => el.remove());
    await closeAllTabs();
  });

  describe('retain', () => {
    it('a tab that opens 2 s after the post gets it as a message with retained: true', async () => {
      const name = uniqueName('retain');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} retain></tab-channel>`,
      );
      el.post({ n: 1 });
      el.post({ n: 2 });
      await sleep(2000);
      const late = await member(name, 'retain');
      const events = await late.waitFor<{ data: unknown; retained: boolean }[]>(
        `window.events.filter((e) => e.type === 'message').length && window.events`,
      );
      expect(events.filter((e) => (e as { type?: string }).type === 'message')).to.deep.equal([
        {
          type: 'message',
          data: { n: 2 },
          retained: true,
          leaderId: null,
          leader: null,
          code: null,
        },
      ]);
      // A live post after joining is an ordinary message, without `retained`.
      el.post({ n: 3 });
      const live = await late.waitFor<{ retained: unknown }>(
        `window.events.find((e) => e.type === 'message' && e.data.n === 3)`,
      );
      expect(live.retained).to.equal(null);
    });

    it('three tabs posting at once converge on the same retained message (one stamp order, tab id tie-break)', async () => {
      const name = uniqueName('retain-race');
      const tabs = await Promise.all([1, 2, 3].map(() => member(name, 'retain')));
      // Every member has joined (and so hears the others) before they race.
      await Promise.all(
        tabs.map((tab) => tab.waitFor(`window.el.getAttribute('state') === 'open'`)),
      );
      await sleep(300);
      await Promise.all(
        tabs.map((tab, i) =>
          tab.eval(
            `(() => { for (let n = 0; n < 5; n++) window.el.post({ tab: ${i}, n }); return true; })()`,
          ),
        ),
      );
      // Ask every holder on the wire, as a newcomer does, and compare their answers.
      const probe = new BroadcastChannel(`realtime-elements:tab-channel:${name}`);
      const answers: { c: number; f: string; d: unknown }[] = [];
      probe.onmessage = ({ data }) => {
        if (data.k === 'ret' && data.p?.t === 'probe') answers.push(data.p);
      };
      await waitUntil(
        async () => {
          answers.length = 0;
          probe.postMessage({ k: 'ask', f: 'probe' });
          await sleep(300);
          return (
            answers.length === 3 &&
            answers.every((a) => JSON.stringify(a) === JSON.stringify(answers[0]))
          );
        },
        20_000,
        'three equal answers',
      );
      probe.close();
      expect(answers[0].c).to.be.greaterThanOrEqual(5);
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} retain></tab-channel>`,
      );
      const got = record<TabChannelMessageEvent>(el, 'message');
      await waitUntil(() => got.length === 1, 10_000, 'the retained message');
      expect(got[0].data).to.deep.equal(answers[0].d);
      expect(got[0].retained).to.equal(true);
    });

    it('clearRetained() forgets it in every tab', async () => {
      const name = uniqueName('retain-clear');
      const a = await member(name, 'retain');
      await a.eval(`window.el.post('old'), true`);
      const b = await member(name, 'retain');
      await b.waitFor(`window.events.some((e) => e.retained)`);
      await b.eval(`window.el.clearRetained().then(() => true)`);
      await a.eval(`window.el.post('sentinel'), true`);
      await b.waitFor(`window.events.some((e) => e.data === 'sentinel')`);
      await a.eval(`window.el.clearRetained().then(() => true)`);
      // A newcomer after the clear: a sentinel post of its own shows the channel works.
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} retain></tab-channel>`,
      );
      const got = record<TabChannelMessageEvent>(el, 'message');
      await b.eval(`window.el.post('after'), true`);
      await waitUntil(() => got.length >= 1, 10_000, 'the live post');
      expect(got.map((e) => [e.data, e.retained])).to.deep.equal([['after', undefined]]);
    });
  });

  describe('requests', () => {
    for (const how of ['closes', 'crashes'] as const) {
      it(`a request pending when the leader ${how} is handed to the next leader; each handler runs once`, async () => {
        const name = uniqueName(`request-${how}`);
        const first = await member(
          name,
          'elect',
          `if (event.reply) window.requests = (window.requests ?? 0) + 1;`,
        );
        await first.waitFor('window.el.leader');
        const second = await member(
          name,
          'elect',
          `if (event.reply) { window.requests = (window.requests ?? 0) + 1; event.reply('from second ' + event.data); }`,
        );
        await second.waitFor(
          `window.el.leaderId === ${JSON.stringify(await first.eval('window.el.tabId'))}`,
        );
        const el = await fixture<TabChannelElement>(
          html`<tab-channel name=${name} presence></tab-channel>`,
        );
        await waitUntil(() => el.leaderId, 10_000, 'the leader known');
        const reply = el.request('job', { timeout: 30_000 });
        await first.waitFor('window.requests === 1');
        if (how === 'crashes') await first.crash();
        else await first.close();
        expect(await reply).to.equal('from second job');
        expect(await second.eval('window.requests')).to.equal(1);
      });
    }

    it('to: a tabId and to: any reach one tab; the first reply counts', async () => {
      const name = uniqueName('request-to');
      const tab = await member(
        name,
        'presence',
        `if (event.reply) { event.reply(event.data * 2); event.reply('again'); }`,
      );
      const tabId = await tab.eval<string>('window.el.tabId');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      expect(await el.request(21, { to: tabId })).to.equal(42);
      expect(await el.request(4, { to: 'any' })).to.equal(8);
    });

    it('a request to a tabId made before that tab opens waits for it, and is answered once', async () => {
      const name = uniqueName('request-early');
      // The target element exists (so its tabId is known) but has not joined the channel yet.
      const tab = await Tab.open();
      const tabId = await tab.eval<string>(`(() => {
        const el = (window.el = document.createElement('tab-channel'));
        el.setAttribute('name', '${name}');
        el.setAttribute('presence', '');
        window.handled = 0;
        el.addEventListener('message', (event) => {
          if (event.reply) { window.handled++; event.reply('got ' + event.data); }
        });
        return el.tabId;
      })()`);
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      const reply = el.request('early', { to: tabId, timeout: 30_000 });
      // The request is out (and would be lost if sent now) before the target opens.
      await waitUntil(() => el.peers.length === 1, 10_000, 'the requester joined');
      await tab.eval(`document.body.append(window.el), true`);
      expect(await reply).to.equal('got early');
      expect(await tab.eval('window.handled')).to.equal(1);
    });

    it('requests made right after open, while the other tab opens too, are never lost (tabId, any, leader)', async () => {
      for (let round = 0; round < 3; round++) {
        const name = uniqueName(`request-open-${round}`);
        const tab = await Tab.open();
        // The tab opens its element and, in the same task, asks the page's element (not yet open).
        const el = document.createElement('tab-channel') as TabChannelElement;
        el.setAttribute('name', name);
        el.toggleAttribute('elect', true);
        el.addEventListener('message', (event) => {
          const { reply, data } = event as TabChannelMessageEvent;
          reply?.(`page ${String(data)}`);
        });
        const pageId = el.tabId;
        const asked = tab.eval<string[]>(`(() => {
          const el = (window.el = document.createElement('tab-channel'));
          el.setAttribute('name', '${name}');
          el.addEventListener('message', (event) => event.reply?.('tab ' + event.data));
          document.body.append(el);
          return Promise.all([
            el.request('a', { to: '${pageId}', timeout: 30000 }),
            el.request('b', { to: 'any', timeout: 30000 }),
            el.request('c', { to: 'leader', timeout: 30000 }),
          ]);
        })()`);
        document.body.append(el);
        const tabId = await tab.waitFor<string>('window.el.tabId');
        const mine = await Promise.all([
          el.request('d', { to: tabId, timeout: 30_000 }),
          el.request('e', { to: 'any', timeout: 30_000 }),
          el.request('f', { to: 'leader', timeout: 30_000 }),
        ]);
        expect(await asked).to.deep.equal(['page a', 'page b', 'page c']);
        expect(mine).to.deep.equal(['tab d', 'tab e', 'page f']);
        el.remove();
        await tab.close();
      }
    });

    it('to: any goes to another tab when the one it went to closes without replying', async () => {
      const name = uniqueName('request-any-closes');
      const handler = `if (event.reply) { window.got = event.data; window.reply = event.reply; }`;
      const [a, b] = [
        await member(name, 'presence', handler),
        await member(name, 'presence', handler),
      ];
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      await waitUntil(() => el.peers.length === 3, 15_000, 'both tabs known');
      const reply = el.request('job', { to: 'any', timeout: 30_000 });
      const first = await waitUntil<Tab | null>(
        async () =>
          ((await a.eval<string | null>('window.got ?? null')) ? a : null) ??
          ((await b.eval<string | null>('window.got ?? null')) ? b : null),
        15_000,
        'one tab asked',
      );
      if (!first) throw new Error('unreachable');
      const other = first === a ? b : a;
      await first.close();
      await other.waitFor(`window.got === 'job'`);
      await other.eval(`window.reply('from the other tab'), true`);
      expect(await reply).to.equal('from the other tab');
    });

    it('a leader that was hung briefly (fenced, then leads again) still answers a request sent meanwhile', async () => {
      const name = uniqueName('request-fenced');
      const leader = await member(
        name,
        'elect',
        `if (event.reply) { window.handled = (window.handled ?? 0) + 1; event.reply('led ' + event.data); }`,
      );
      await leader.waitFor('window.el.leader');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      await waitUntil(() => el.leaderId, 10_000, 'the leader known');
      // Longer than the fence (750 ms), shorter than the lease (1 s): followers see no change.
      const hang = leader.eval(
        `(() => { window.hanging = true; const t = Date.now(); while (Date.now() - t < 900) {} return true; })()`,
      );
      expect(await el.request('job', { timeout: 30_000 })).to.equal('led job');
      await hang;
      expect(await leader.eval('window.handled')).to.equal(1);
    });

    it('request timeouts fire in a tab whose page timers do not run (a throttled background tab)', async () => {
      const name = uniqueName('request-throttled');
      const silent = await member(name, 'presence');
      const tabId = await silent.eval<string>('window.el.tabId');
      const asker = await member(name, 'presence');
      await asker.waitFor('window.el.peers.length === 2');
      const result = await asker.eval<string>(`(() => {
        // No page timer fires from now on (intensive throttling of a hidden tab, at its worst).
        window.setTimeout = () => 0;
        window.setInterval = () => 0;
        return window.el.request('x', { to: '${tabId}', timeout: 500 })
          .then(() => 'resolved', (error) => error.name + ' ' + error.code);
      })()`);
      expect(result).to.equal('TabRequestError timeout');
    });

    it('claim() pending when the element closes rejects with closed', async () => {
      const name = uniqueName('claim-closed');
      const tab = await member(name, 'elect');
      await tab.waitFor('window.el.leader');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} elect></tab-channel>`,
      );
      await waitUntil(() => el.leaderId, 10_000, 'the leader known');
      const claim = el.claim().then(
        () => 'resolved',
        (error: TabRequestError) => `${error.name} ${error.code}`,
      );
      el.remove();
      expect(await claim).to.equal('TabRequestError closed');
      // Removed while the claim is under way (the team has it): it settles all the same.
      const again = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} elect></tab-channel>`,
      );
      await waitUntil(() => again.leaderId, 10_000, 'the leader known again');
      const late = again.claim().then(
        () => 'resolved',
        (error: TabRequestError) => `${error.name} ${error.code}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 0));
      again.remove();
      expect(['resolved', 'TabRequestError closed']).to.include(await late);
    });

    it("foreign messages on the members' channel (no payload, wrong shapes) are ignored; requests still work", async () => {
      const name = uniqueName('request-foreign');
      const tab = await member(name, 'presence', `event.reply?.('ok ' + event.data);`);
      // Uncaught errors are recorded; a sentinel, posted last, tells when the rest arrived.
      await tab.eval(`(() => {
        window.uncaught = [];
        addEventListener('error', (e) => window.uncaught.push(String(e.message)));
        const watch = new BroadcastChannel('realtime-elements:tab-channel:${name}');
        watch.onmessage = (e) => { if (e.data === 'sentinel') window.sentinel = true; };
        return true;
      })()`);
      const tabId = await tab.eval<string>('window.el.tabId');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      const foreign = new BroadcastChannel(`realtime-elements:tab-channel:${name}`);
      for (const message of [
        'plain string',
        null,
        { k: 'req', f: 'x' },
        { k: 'req', f: 'x', p: null },
        { k: 'req', f: 'x', p: 'text' },
        { k: 'res', f: 'x', p: null },
        { k: 'nak', f: 'x', p: 7 },
        { k: 'ret', f: 'x', p: null },
        { k: 'hi', f: 'x', p: null },
        { k: 'ask', f: 'x', p: [] },
        { k: 'out', f: 42 },
        'sentinel',
      ]) {
        foreign.postMessage(message);
      }
      foreign.close();
      expect(await el.request(1, { to: tabId, timeout: 30_000 })).to.equal('ok 1');
      await tab.waitFor('window.sentinel');
      expect(await tab.eval('window.uncaught')).to.deep.equal([]);
    });

    it('rejects with timeout, no-leader and closed', async () => {
      const name = uniqueName('request-fail');
      const silent = await member(name, 'presence');
      const tabId = await silent.eval<string>('window.el.tabId');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      const failure = (promise: Promise<unknown>) =>
        promise.then(
          () => 'resolved',
          (error: TabRequestError) => `${error.name} ${error.code}`,
        );
      expect(await failure(el.request('x', { to: tabId, timeout: 300 }))).to.equal(
        'TabRequestError timeout',
      );
      expect(await failure(el.request('x'))).to.equal('TabRequestError no-leader');
      const pending = failure(el.request('x', { to: tabId }));
      el.remove();
      expect(await pending).to.equal('TabRequestError closed');
      expect(await failure(el.request('x'))).to.equal('TabRequestError closed');
    });
  });

  describe('presence', () => {
    it(
      faultRun('lists every open tab; a closed tab leaves at once, a crashed one within the bound'),
      async () => {
        const name = uniqueName('presence');
        const el = await fixture<TabChannelElement>(
          html`<tab-channel name=${name} presence elect></tab-channel>`,
        );
        const changes = record(el, 'peerschange');
        const [a, b] = [await member(name, 'presence'), await member(name, 'presence')];
        await waitUntil(() => el.peers.length === 3, 10_000, 'three peers');
        const [self, ...others] = el.peers;
        expect(self).to.include({ tabId: el.tabId, leader: true });
        expect(self.visible).to.equal(document.visibilityState !== 'hidden');
        expect(others.map((peer) => peer.leader)).to.deep.equal([false, false]);
        expect(typeof self.since).to.equal('number');
        expect(changes.length).to.be.greaterThan(0);
        expect(await a.waitFor(`window.el.peers.length === 3`)).to.equal(true);

        await b.close();
        await waitUntil(() => el.peers.length === 2, 10_000, 'the closed tab gone');
        const crashedAt = performance.now();
        await a.crash();
        await waitUntil(() => el.peers.length === 1, 10_000, 'the crashed tab gone');
        // The documented bound is 4 s after the last beat; the margin is for a loaded machine.
        expect(performance.now() - crashedAt).to.be.lessThan(8000);
      },
    );

    it(faultRun('a hung tab (busy loop) leaves and comes back'), async () => {
      const name = uniqueName('presence-hung');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} presence></tab-channel>`,
      );
      const tab = await member(name, 'presence');
      await waitUntil(() => el.peers.length === 2, 10_000, 'two peers');
      void tab.eval(
        `(() => { const t = Date.now(); while (Date.now() - t < 5000) {} return true; })()`,
      );
      await waitUntil(() => el.peers.length === 1, 10_000, 'the hung tab gone');
      await waitUntil(() => el.peers.length === 2, 10_000, 'the tab back');
    });
  });

  describe('who leads', () => {
    it('leaderchange fires in every member with leaderId; claim() moves the lead', async () => {
      const name = uniqueName('leaders');
      const el = await fixture<TabChannelElement>(
        html`<tab-channel name=${name} elect></tab-channel>`,
      );
      await waitUntil(() => el.leader, 10_000, 'the lead');
      const tab = await member(name, 'elect');
      const tabId = await tab.eval<string>('window.el.tabId');
      const learnt = await tab.waitFor<{ leaderId: string; leader: boolean }>(
        `window.events.find((e) => e.type === 'leaderchange')`,
      );
      expect(learnt).to.include({ leaderId: el.tabId, leader: false });
      const changes = record<Event & { leaderId: string; leader: boolean }>(el, 'leaderchange');
      await tab.eval(`window.el.claim().then(() => true)`);
      await waitUntil(() => changes.length && el.leaderId === tabId, 10_000, 'the claim seen');
      expect(el.leader).to.equal(false);
      expect(changes.at(-1)).to.include({ leaderId: tabId, leader: false });
      expect(await tab.eval('window.el.leader')).to.equal(true);
    });

    it('prefer-visible: quick tab switches keep the leader; a leader hidden past the dwell hands over once', async () => {
      const name = uniqueName('prefer-visible');
      const leader = await member(name, 'elect prefer-visible');
      await leader.waitFor('window.el.leader');
      const other = await member(name, 'elect prefer-visible');
      await other.waitFor('window.el.leaderId');
      // Glances away: hidden for well under the dwell each time.
      for (let i = 0; i < 4; i++) {
        await leader.eval(hide(true));
        await sleep(300);
        await leader.eval(hide(false));
        await sleep(300);
      }
      await sleep(1000);
      expect(await leader.eval('window.el.leader')).to.equal(true);
      expect(
        await other.eval(`window.events.filter((e) => e.type === 'leaderchange').length`),
      ).to.equal(1);
      const hiddenAt = performance.now();
      await leader.eval(hide(true));
      await other.waitFor('window.el.leader', 15_000);
      expect(performance.now() - hiddenAt).to.be.greaterThan(2000);
      await leader.waitFor('!window.el.leader');
      // Settled: the visible tab keeps it.
      await sleep(1500);
      expect(await other.eval('window.el.leader')).to.equal(true);
      expect(
        await other.eval(`window.events.filter((e) => e.type === 'leaderchange').length`),
      ).to.equal(2);
    });
  });
});

// `shared` feeds and `<tab-channel elect>` across real tabs: one connection for all of them,
// and handover when the leading tab closes or hangs.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import {
  Tab,
  closeAllTabs,
  countObjects,
  hubConnections,
  sleep,
  uniqueName,
  waitUntil,
  faultRun,
} from './helpers.js';
import '../src/define.js';

interface Logged {
  type: string;
  data: unknown;
  code: string | null;
}

const publish = (topic: string, many: unknown[]) =>
  executeServerCommand<string[], unknown>('hub-publish', { topic, many });
const numbers = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ n: from + i }));

/** A tab with one element (`html`), its events recorded in `window.log`. */
async function tabWith(html: string, types = 'message error open close statechange') {
  const tab = await Tab.open();
  await tab.eval(`(() => {
    const holder = document.createElement('div');
    holder.innerHTML = ${JSON.stringify(html)};
    window.el = window.record(holder.firstElementChild, ...${JSON.stringify(types.split(' '))});
    document.body.append(window.el);
    return true;
  })()`);
  return tab;
}

const messagesIn = async (tab: Tab) =>
  (await tab.eval<Logged[]>('window.log'))
    .filter((entry) => entry.type === 'message')
    .map((entry) => (entry.data as { n: number }).n);

async function leadersAmong(tabs: Tab[]): Promise<Tab[]> {
  const flags = await Promise.all(tabs.map((tab) => tab.eval<boolean>('window.el.leader')));
  return tabs.filter((_, i) => flags[i]);
}

/** Each tab's role, state, messages and other events: what a failed wait reports. */
const describeTabs = async (tabs: Tab[], marked?: Tab) =>
  JSON.stringify(
    await Promise.all(
      tabs.map(async (tab) => ({
        tab: tab === marked ? 'marked' : tabs.indexOf(tab),
        leader: await tab.eval('window.el.leader'),
        state: await tab.eval('window.el.state'),
        messages: await messagesIn(tab),
        events: (await tab.eval<Logged[]>('window.log'))
          .filter((entry) => entry.type !== 'message')
          .map((entry) => `${entry.type}${entry.code ? `:${entry.code}` : ''}`),
      })),
    ),
  );

const openIn = (tabs: Tab[]) =>
  Promise.all(tabs.map((tab) => tab.waitFor(`window.el.state === 'open'`, 10_000)));

describe('shared feeds across real tabs', () => {
  afterEach(() => closeAllTabs());

  it('eight tabs with a shared <sse-feed> hold one connection and all get every event', async () => {
    const topic = uniqueName('shared');
    const html = `<sse-feed shared type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`;
    const tabs: Tab[] = [];
    for (let i = 0; i < 8; i++) tabs.push(await tabWith(html));
    await openIn(tabs);
    // Counted by topic: the hub's total also holds earlier tests' streams, still closing.
    expect((await hubConnections(topic)).sse, 'server-side SSE connections').to.equal(1);
    const leaders = await leadersAmong(tabs);
    expect(leaders).to.have.length(1);
    const follower = tabs.find((tab) => tab !== leaders[0])!;
    await follower.eval(`(() => {
      window.el.addEventListener('message', (event) => {
        window.shape ??= {
          isMessage: event instanceof MessageEvent,
          eventType: event.eventType,
          lastEventId: event.lastEventId,
          cursor: window.el.lastEventId,
        };
      });
      return true;
    })()`);

    await publish(topic, numbers(0, 20));
    for (const tab of tabs) {
      await tab.waitFor(`window.log.filter((e) => e.type === 'message').length >= 20`);
    }
    for (const tab of tabs)
      expect(await messagesIn(tab)).to.deep.equal(numbers(0, 20).map((e) => e.n));
    // Each tab fired what an unshared element fires: statechange, open, then the messages.
    for (const tab of tabs) {
      const types = (await tab.eval<Logged[]>('window.log')).map((entry) => entry.type);
      expect(types.slice(0, 3)).to.deep.equal(['statechange', 'statechange', 'open']);
      expect(types.slice(3)).to.deep.equal(Array(20).fill('message'));
    }
    const shape = await follower.eval<Record<string, unknown>>('window.shape');
    expect(shape.isMessage).to.equal(true);
    expect(shape.eventType).to.equal(topic);
    expect(shape.lastEventId).to.be.a('string').and.not.equal('');
    expect(shape.cursor).to.equal(shape.lastEventId);
  });

  for (const ending of ['close', 'crash'] as const) {
    it(
      faultRun(`the leading tab's ${ending} mid-stream loses and duplicates nothing`),
      async () => {
        const topic = uniqueName(ending);
        const html = `<sse-feed shared type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`;
        const tabs = [await tabWith(html), await tabWith(html), await tabWith(html)];
        await openIn(tabs);
        const [leader] = await leadersAmong(tabs);
        const followers = tabs.filter((tab) => tab !== leader);
        for (let batch = 0; batch < 10; batch++) {
          await publish(topic, numbers(batch * 10, batch * 10 + 10));
          if (batch === 4) await leader[ending]();
          await sleep(30);
        }
        // A sentinel after the 100: once it is in, a duplicate of any of them would be too.
        await publish(topic, numbers(100, 101));
        for (const tab of followers) {
          await tab.waitFor(`window.log.filter((e) => e.type === 'message').length >= 101`, 15_000);
        }
        for (const tab of followers) {
          expect(await messagesIn(tab)).to.deep.equal(numbers(0, 101).map((e) => e.n));
        }
        expect(await leadersAmong(followers)).to.have.length(1);
      },
    );
  }

  it(
    faultRun(
      'a hung leading tab is replaced; when it wakes it steps down and nothing is duplicated',
    ),
    async () => {
      const topic = uniqueName('hang');
      const html = `<sse-feed shared type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`;
      const tabs = [await tabWith(html), await tabWith(html), await tabWith(html)];
      await openIn(tabs);
      const [hung] = await leadersAmong(tabs);
      const others = tabs.filter((tab) => tab !== hung);
      await publish(topic, numbers(0, 10));
      await hung.waitFor(`window.log.filter((e) => e.type === 'message').length >= 10`);
      // A real hang: the tab's main thread is busy for 3 s, its timers and messages stop, and it
      // keeps its Web Lock.
      await hung.eval(`(() => {
      setTimeout(() => { const end = Date.now() + 3000; while (Date.now() < end); }, 0);
      return true;
    })()`);
      await sleep(100);
      await publish(topic, numbers(10, 20));
      await waitUntil(
        async () => (await leadersAmong(others)).length === 1,
        15_000,
        'a new leader',
      );
      await publish(topic, numbers(20, 30));
      await hung.waitFor(`!window.el.leader`, 10_000);
      await publish(topic, numbers(30, 40));
      // A sentinel after the 40: once it is in, a duplicate of any of them would be too.
      await publish(topic, numbers(40, 41));
      for (const tab of tabs) {
        await tab
          .waitFor(`window.log.filter((e) => e.type === 'message').length >= 41`, 15_000)
          .catch(async (error) => {
            throw new Error(`${error.message}\n${await describeTabs(tabs, hung)}`);
          });
      }
      for (const tab of tabs) {
        expect(await messagesIn(tab)).to.deep.equal(numbers(0, 41).map((e) => e.n));
      }
      expect(await leadersAmong(tabs)).to.have.length(1);
      expect((await hubConnections(topic)).sse).to.be.at.least(1);
    },
  );

  it('a tab that joins late is open and gets live events at once, on the same connection', async () => {
    const topic = uniqueName('late');
    const html = `<sse-feed shared type="json" src="/realtime/sse?topic=${topic}"></sse-feed>`;
    const first = [await tabWith(html), await tabWith(html)];
    await openIn(first);
    const connections = (await hubConnections(topic)).sse;
    await publish(topic, numbers(0, 5));
    const late = await tabWith(html);
    await late.waitFor(`window.el.state === 'open'`);
    expect(await late.eval('window.el.leader')).to.equal(false);
    await publish(topic, numbers(5, 6));
    await late.waitFor(`window.log.some((e) => e.type === 'message')`);
    expect(await messagesIn(late)).to.deep.equal([5]);
    expect((await hubConnections(topic)).sse).to.equal(connections);
  });

  it('a tab that joins after the leader failed shows the same error code, event and property', async () => {
    // A 404 stops <sse-feed> for good (state error, http-status): the follower must say why.
    const html = `<sse-feed shared src="/no-such-feed-${uniqueName('gone')}"></sse-feed>`;
    const leader = await tabWith(html);
    await leader.waitFor(`window.el.state === 'error'`, 30_000);
    expect(await leader.eval('window.el.error.code')).to.equal('http-status');
    const late = await tabWith(html);
    await late.waitFor(`window.el.state === 'error'`, 30_000);
    expect(await late.eval('window.el.leader')).to.equal(false);
    expect(await late.eval('window.el.error?.code')).to.equal('http-status');
    const codes = (await late.eval<Logged[]>('window.log'))
      .filter((entry) => entry.type === 'error')
      .map((entry) => entry.code);
    expect(codes).to.deep.equal(['http-status']);
  });

  it('shared <socket-relay>: every tab sends through one socket; each send arrives once', async () => {
    const topic = uniqueName('ws');
    // The topic in the URL (the hub ignores the query) lets the sockets be counted by test.
    const src = `/realtime/ws?test=${topic}`;
    const html = `<socket-relay shared src="${src}" topic="${topic}"></socket-relay>`;
    const tabs = [await tabWith(html), await tabWith(html), await tabWith(html)];
    await openIn(tabs);
    const observer = new WebSocket(`ws://${location.host}${src}`);
    const seen: unknown[] = [];
    let subscribed = false;
    observer.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === 'message') seen.push(frame.data);
      if (frame.type === 'subscribed') subscribed = true;
    };
    await new Promise((resolve) => (observer.onopen = resolve));
    observer.send(JSON.stringify({ type: 'subscribe', topics: [topic] }));
    // The hub's acknowledgement, not a pause: the sends below must find the observer subscribed.
    await waitUntil(() => subscribed, 15_000, 'subscribed');
    expect((await hubConnections(topic)).ws, 'hub sockets: the leader and this observer').to.equal(
      2,
    );
    await Promise.all(
      tabs.map((tab, t) =>
        tab.eval(
          `(() => { for (let n = 0; n < 10; n++) window.el.send({ from: ${t}, n }); return true; })()`,
        ),
      ),
    );
    await waitUntil(() => seen.length >= 30, 15_000, '30 sends');
    for (const tab of tabs) {
      await tab.waitFor(`window.log.filter((e) => e.type === 'message').length >= 20`);
    }
    await sleep(300);
    expect(seen).to.have.length(30);
    const key = (m: unknown) => JSON.stringify(m);
    expect(new Set(seen.map(key)).size).to.equal(30);
    for (const [t, tab] of tabs.entries()) {
      const got = (await tab.eval<Logged[]>('window.log'))
        .filter((entry) => entry.type === 'message')
        .map((entry) => entry.data as { from: number; n: number });
      expect(got, `tab ${t} gets the others' sends, not its own`).to.have.length(20);
      expect(got.every((m) => m.from !== t)).to.equal(true);
      for (const other of [0, 1, 2].filter((o) => o !== t)) {
        expect(got.filter((m) => m.from === other).map((m) => m.n)).to.deep.equal([
          ...Array(10).keys(),
        ]);
      }
    }
    observer.close();
  });

  it('shared long-polling <poll-feed>: one poll at a time for all tabs', async () => {
    const topic = uniqueName('poll');
    const html = `<poll-feed shared long src="/realtime/poll?topic=${topic}"></poll-feed>`;
    const tabs = [await tabWith(html), await tabWith(html), await tabWith(html)];
    await openIn(tabs);
    await sleep(200);
    expect((await hubConnections(topic)).poll).to.be.at.most(1);
    await publish(topic, numbers(0, 10));
    for (const tab of tabs) {
      await tab.waitFor(`window.log.filter((e) => e.type === 'message').length >= 10`);
      expect(await messagesIn(tab)).to.deep.equal([...Array(10).keys()]);
    }
  });

  it('removing a shared element releases its group channel and lock', async () => {
    const baseline = await countObjects('BroadcastChannel.prototype');
    const el = document.createElement('sse-feed');
    el.shared = true;
    el.src = `/realtime/sse?topic=${uniqueName('release')}`;
    document.body.append(el);
    await waitUntil(() => el.state === 'open' && el.leader, 15_000, 'open and leading');
    const held = await navigator.locks.query();
    expect(held.held?.some((lock) => lock.name?.startsWith('realtime-elements:sse-feed'))).to.equal(
      true,
    );
    el.remove();
    await waitUntil(
      async () =>
        !(await navigator.locks.query()).held?.some((lock) =>
          lock.name?.startsWith('realtime-elements:sse-feed'),
        ),
      15_000,
      'the lock released',
    );
    expect(el.leader).to.equal(false);
    expect(el.hasAttribute('leader')).to.equal(false);
    expect(await countObjects('BroadcastChannel.prototype')).to.equal(baseline);
  });
});

describe('<tab-channel elect>', () => {
  afterEach(() => closeAllTabs());

  it('elects one leader, reflects it, and hands over when the leader tab closes', async () => {
    const name = uniqueName('elect');
    const html = `<tab-channel elect name="${name}"></tab-channel>`;
    const tabs = [
      await tabWith(html, 'leaderchange'),
      await tabWith(html, 'leaderchange'),
      await tabWith(html, 'leaderchange'),
    ];
    await waitUntil(async () => (await leadersAmong(tabs)).length === 1, 15_000, 'one leader');
    const [leader] = await leadersAmong(tabs);
    expect(await leader.eval(`window.el.hasAttribute('leader')`)).to.equal(true);
    expect(await leader.eval(`window.log.map((e) => e.type)`)).to.deep.equal(['leaderchange']);
    const others = tabs.filter((tab) => tab !== leader);
    await leader.close();
    await waitUntil(async () => (await leadersAmong(others)).length === 1, 15_000, 'a new leader');
    const [next] = await leadersAmong(others);
    // leaderchange fires in every member (0.3): each one learns the new leader's id.
    const nextId = await next.eval<string>('window.el.tabId');
    for (const tab of others) {
      expect(await tab.waitFor(`window.el.leaderId === ${JSON.stringify(nextId)}`)).to.equal(true);
      expect(await tab.eval(`window.log.at(-1).type`)).to.equal('leaderchange');
    }
  });
});

describe('election without Web Locks', () => {
  afterEach(() => closeAllTabs());

  it('an insecure origin (no navigator.locks) still elects one leader by heartbeat, and hands over', async () => {
    const page = `http://a.example.test:${location.port}/test/fixtures/tab.html`;
    const name = uniqueName('nolocks');
    const tabs: Tab[] = [];
    for (let i = 0; i < 3; i++) {
      const tab = await Tab.open(page);
      expect(await tab.eval('!!navigator.locks')).to.equal(false);
      await tab.eval(`(() => {
        window.el = document.createElement('tab-channel');
        window.el.name = ${JSON.stringify(name)};
        window.el.elect = true;
        window.record(window.el, 'leaderchange');
        document.body.append(window.el);
        return true;
      })()`);
      tabs.push(tab);
    }
    await waitUntil(async () => (await leadersAmong(tabs)).length === 1, 15_000, 'one leader');
    await sleep(1500);
    expect(await leadersAmong(tabs), 'still one leader after a few leases').to.have.length(1);
    const [leader] = await leadersAmong(tabs);
    const others = tabs.filter((tab) => tab !== leader);
    await leader.close();
    await waitUntil(async () => (await leadersAmong(others)).length === 1, 15_000, 'a new leader');
    await sleep(1000);
    expect(await leadersAmong(others)).to.have.length(1);
  });
});

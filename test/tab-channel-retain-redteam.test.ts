// Red team 10b of `<tab-channel retain>` (README "Late joiners"): each test is one input that
// broke a promise, written as a user expects it to behave (from the red team's branch,
// test/redteam10b.test.ts). Real tabs, real BroadcastChannel.
import { expect } from '@open-wc/testing';
import '../src/tab-channel-define.js';
import { TabChannelElement, type TabChannelMessageEvent } from '../src/tab-channel.js';
import { Tab, closeAllTabs, engine, record, uniqueName, waitUntil } from './helpers.js';

/** A `<tab-channel retain>` on this page, its team joined. */
async function memberHere(name: string): Promise<TabChannelElement<{ n: string }>> {
  const el = document.createElement('tab-channel') as TabChannelElement<{ n: string }>;
  el.name = name;
  el.setAttribute('retain', '');
  document.body.append(el);
  await waitUntil(() => el.state === 'open', 30_000, 'open');
  await (el as unknown as { join(): Promise<unknown> }).join();
  return el;
}

/**
 * What a tab-channel opening here later gets as retained, asked again until it gets `bye` (the
 * stamp travels on another channel than the post, so it may land a moment after): with the
 * fault, never. `here` answers the ask before it answers a request sent after it.
 */
async function retainedForLateJoiner(
  name: string,
  here: TabChannelElement<{ n: string }>,
): Promise<string[]> {
  let retained: string[] = [];
  await waitUntil(
    async () => {
      const late = document.createElement('tab-channel') as TabChannelElement<{ n: string }>;
      late.name = name;
      late.setAttribute('retain', '');
      retained = [];
      late.addEventListener('message', (event) => {
        const message = event as TabChannelMessageEvent<{ n: string }>;
        if (message.retained) retained.push(message.data.n);
      });
      document.body.append(late);
      await late.request('ping', { to: here.tabId });
      late.remove();
      return retained.at(-1) === 'bye';
    },
    5_000,
    'a late joiner retaining `bye`',
  ).catch(() => {});
  return retained;
}

describe(`red team 10b: <tab-channel retain> newest by hybrid logical clock (${engine})`, () => {
  afterEach(async () => {
    document.querySelectorAll('tab-channel').forEach((el) => el.remove());
    await closeAllTabs();
  });

  // Peers: SandeepVashishtha/Eventra#10717 ("cross-tab sync overwrites newer local state with
  // older … state": compare when each was written), 5rahim/seanime#701 (a value taken at the
  // wrong moment overwrites a fresh update), wobsoriano/pinia-shared-state#30 (tabs off sync
  // after a pause; a new tab opens off sync). README "Late joiners":
  // "a post made after another is newer even when its tab never heard of the other … Never who
  // answers first". Here the other tab DID hear it: tab J posts `J` as its channel opens and is
  // then busy for 500 ms (a long task: hydration, a big render); this tab receives `J` and posts
  // `A` in answer — after `J`, having seen it. Seen: J's stamp is taken when J's team chunk
  // loads (after the long task), not when J posted, so `J` is "newer" than `A`: every tab ends
  // up retaining `J`, and a tab opened later starts from `J` although `A` was posted last (and
  // is what both open tabs saw last).
  it('a post made while the tab’s retain chunk is still loading keeps its place: a later post from another tab stays the newest', async () => {
    const name = uniqueName('rt10b-hlc');
    const here = await memberHere(name);
    here.addEventListener('message', (event) => {
      if ((event as TabChannelMessageEvent<{ n: string }>).data?.n === 'J') here.post({ n: 'A' });
    });
    const tab = await Tab.open();
    await tab.eval(`(() => {
      window.log = [];
      const el = (window.el = document.createElement('tab-channel'));
      el.setAttribute('name', ${JSON.stringify(name)});
      el.setAttribute('retain', '');
      el.addEventListener('message', (event) => window.log.push(event.data.n));
      document.body.append(el);
      el.post({ n: 'J' });
      const end = performance.now() + 500;
      while (performance.now() < end); // a long task, right after the post
      return true;
    })()`);
    // J saw A's post (it came after its own), and its team has loaded.
    await tab.waitFor(`window.log.includes('A')`, 15_000);
    await tab.eval('window.el.join().then(() => true)');
    const tabId = await tab.eval<string>('window.el.tabId');

    const late = document.createElement('tab-channel') as TabChannelElement<{ n: string }>;
    late.name = name;
    late.setAttribute('retain', '');
    const retained: string[] = [];
    late.addEventListener('message', (event) => {
      const message = event as TabChannelMessageEvent<{ n: string }>;
      if (message.retained) retained.push(message.data.n);
    });
    document.body.append(late);
    await waitUntil(() => retained.length > 0, 15_000, 'the retained message');
    // Both holders have answered the late joiner's ask once each has answered a request sent
    // after it (one channel, each sender's messages in order).
    await tab.eval(`(() => {
      window.el.addEventListener('message', (event) => event.reply && event.reply('pong'));
      return true;
    })()`);
    here.addEventListener('message', (event) => {
      const message = event as TabChannelMessageEvent<unknown>;
      if (message.reply) message.reply('pong');
    });
    await late.request('ping', { to: tabId });
    await late.request('ping', { to: here.tabId });
    // (On failure: what each holder holds, with its stamp.)
    const held = {
      here: (here as unknown as { held?: unknown }).held,
      tab: await tab.eval('window.el.held'),
      late: (late as unknown as { held?: unknown }).held,
    };
    expect(
      retained.at(-1),
      `retained messages seen: ${retained.join(', ')}; held: ${JSON.stringify(held)}`,
    ).to.equal('A');
  });

  // Peers: as above, and kubestellar/console#7088 (cross-tab "last write wins" loses the newer
  // write). README: "`clearRetained()` forgets it everywhere"; "a post made after another is
  // newer even when its tab never heard of the other". Tab J calls clearRetained() as its
  // channel opens, tells this tab so on a BroadcastChannel of the test's own, and is busy for
  // 500 ms; this tab then posts `A` — after the clear, in real time. Seen: the clear is stamped
  // when J's team chunk loads, after the long task, so it wins over `A`: every tab forgets `A`
  // and a tab opened later gets nothing.
  it('clearRetained() called while the tab’s retain chunk is still loading does not forget a post made after it', async () => {
    const name = uniqueName('rt10b-clear');
    const here = await memberHere(name);
    const signal = new BroadcastChannel(`${name}-signal`);
    signal.onmessage = () => here.post({ n: 'A' });
    const tab = await Tab.open();
    await tab.eval(`(() => {
      const el = (window.el = document.createElement('tab-channel'));
      el.setAttribute('name', ${JSON.stringify(name)});
      el.setAttribute('retain', '');
      window.log = [];
      el.addEventListener('message', (event) => window.log.push(event.data.n));
      document.body.append(el);
      window.cleared = el.clearRetained().then(() => true);
      new BroadcastChannel(${JSON.stringify(`${name}-signal`)}).postMessage('cleared');
      const end = performance.now() + 500;
      while (performance.now() < end); // a long task, right after the call
      return true;
    })()`);
    await tab.waitFor(`window.log.includes('A')`, 15_000);
    await tab.eval('window.cleared');
    signal.close();
    const tabId = await tab.eval<string>('window.el.tabId');
    await tab.eval(`(() => {
      window.el.addEventListener('message', (event) => event.reply && event.reply('pong'));
      return true;
    })()`);
    here.addEventListener('message', (event) => {
      const message = event as TabChannelMessageEvent<unknown>;
      if (message.reply) message.reply('pong');
    });

    const late = document.createElement('tab-channel') as TabChannelElement<{ n: string }>;
    late.name = name;
    late.setAttribute('retain', '');
    const retained: string[] = [];
    late.addEventListener('message', (event) => {
      const message = event as TabChannelMessageEvent<{ n: string }>;
      if (message.retained) retained.push(message.data.n);
    });
    document.body.append(late);
    // Both members have answered the late joiner's ask once each answered a request sent after.
    await late.request('ping', { to: tabId });
    await late.request('ping', { to: here.tabId });
    expect(retained, 'the retained messages the late joiner got').to.deep.equal(['A']);
  });

  // Peers: trevoro/use-broadcast#3 and IdanShalem/react-broadcast-sync#7 (a channel torn down as
  // the component unmounts), destinygg/chat-gui#575 and mccxiv/tc#385 (the last message of a
  // session handled wrong around a disconnect). README "Late joiners": "With `retain` the
  // channel remembers its newest post, and a tab that opens later receives it"; `<sw-relay>`
  // names the pattern: "a 'goodbye' posted as a component unmounts". Tab J (joined, its team
  // loaded) posts `bye` and is removed in the same task — a component's last word as it
  // unmounts. Every open tab gets `bye` live.
  // Seen: `bye` is never retained (the stamp is made a microtask later, by a team the removal
  // already stopped): a tab opened later starts from the message before it.
  // (The same post followed in the same task by a change of `name` is retained: the change
  // takes effect in Lit's update, a microtask after the stamp.)
  it('a post made just before the element is removed (same task) is the retained message', async () => {
    const name = uniqueName('rt10b-bye');
    const here = await memberHere(name);
    here.addEventListener('message', (event) => {
      const message = event as TabChannelMessageEvent<unknown>;
      if (message.reply) message.reply('pong');
    });
    here.post({ n: 'before' });
    const got = record<TabChannelMessageEvent<{ n: string }>>(here, 'message');
    const tab = await Tab.open();
    await tab.eval(`(async () => {
        const el = (window.el = document.createElement('tab-channel'));
        el.setAttribute('name', ${JSON.stringify(name)});
        el.setAttribute('retain', '');
        document.body.append(el);
        await el.join();
        return true;
      })()`);
    await tab.eval(`(() => {
        window.el.post({ n: 'bye' });
        window.el.remove();
        return true;
      })()`);
    await waitUntil(() => got.some((event) => event.data?.n === 'bye'), 15_000, '`bye` live');
    expect(
      await retainedForLateJoiner(name, here),
      'the retained messages a late joiner got',
    ).to.deep.equal(['bye']);
  });

  // The same, made while the tab's retain chunk is still loading (the element was just added:
  // a view that posts as it mounts and is unmounted at once). Seen: never stamped at all.
  it('a post made as the element opens, before its retain chunk loaded, and the element removed at once, is the retained message', async () => {
    const name = uniqueName('rt10b-bye-early');
    const here = await memberHere(name);
    here.addEventListener('message', (event) => {
      const message = event as TabChannelMessageEvent<unknown>;
      if (message.reply) message.reply('pong');
    });
    here.post({ n: 'before' });
    const got = record<TabChannelMessageEvent<{ n: string }>>(here, 'message');
    const tab = await Tab.open();
    await tab.eval(`(() => {
      const el = document.createElement('tab-channel');
      el.setAttribute('name', ${JSON.stringify(name)});
      el.setAttribute('retain', '');
      document.body.append(el);
      el.post({ n: 'bye' });
      el.remove();
      return true;
    })()`);
    await waitUntil(() => got.some((event) => event.data?.n === 'bye'), 15_000, '`bye` live');
    expect(
      await retainedForLateJoiner(name, here),
      'the retained messages a late joiner got',
    ).to.deep.equal(['bye']);
  });
});

// The same kind on the fallback transports (README: "while a fallback loads (`connecting`),
// posts wait in order"): a view that posts as it mounts and is unmounted at once, before the
// transport's code has loaded. `post()` returned, so the post is sent: it reaches the other tab
// (before, the element dropped what waited when it closed), and with `retain` it is retained.
describe(`<tab-channel transport> a post accepted while the transport loads, the element removed at once (${engine})`, () => {
  afterEach(async () => {
    document.querySelectorAll('tab-channel').forEach((el) => el.remove());
    await closeAllTabs();
  });

  for (const transport of ['storage', 'idb', 'cookie'])
    it(`transport="${transport}": it reaches the other tab`, async () => {
      const name = uniqueName(`rt-bye-${transport}`);
      const tab = await Tab.open();
      await tab.eval(`(() => {
        const el = (window.el = document.createElement('tab-channel'));
        el.setAttribute('name', ${JSON.stringify(name)});
        el.setAttribute('transport', ${JSON.stringify(transport)});
        window.log = [];
        el.addEventListener('message', (event) => window.log.push(event.data));
        document.body.append(el);
        return true;
      })()`);
      await tab.waitFor(`window.el.state === 'open'`);
      const el = document.createElement('tab-channel') as TabChannelElement<string>;
      el.name = name;
      el.transport = transport as 'storage';
      document.body.append(el);
      el.post('bye');
      el.remove();
      // A sentinel from another element, after: what was lost would not come before it.
      const after = document.createElement('tab-channel') as TabChannelElement<string>;
      after.name = name;
      after.transport = transport as 'storage';
      document.body.append(after);
      await waitUntil(() => after.state === 'open', 15_000, 'open');
      after.post('sentinel');
      const log = await tab.waitFor<string[]>(`window.log.includes('sentinel') && window.log`);
      // Once each (two elements: the order between them is the transport's).
      expect([...log].sort()).to.deep.equal(['bye', 'sentinel']);
    });
});

describe(`<tab-channel retain> closed and re-opened without retain (${engine})`, () => {
  afterEach(() => document.querySelectorAll('tab-channel').forEach((el) => el.remove()));

  // Found reading the change: release() closed the team's channel but kept it, so a
  // clearRetained() on the re-opened element (a fallback still loading) posted on the closed
  // channel and threw InvalidStateError out of the call.
  it('clearRetained() while a fallback loads, after retain was removed, does not throw', async () => {
    const el = document.createElement('tab-channel') as TabChannelElement;
    el.name = uniqueName('reopen-no-retain');
    el.setAttribute('transport', 'storage');
    el.setAttribute('retain', '');
    document.body.append(el);
    await waitUntil(() => el.state === 'open', 30_000, 'open');
    await (el as unknown as { join(): Promise<unknown> }).join();
    el.removeAttribute('retain');
    el.disabled = true;
    await el.updateComplete;
    el.disabled = false;
    await el.updateComplete;
    expect(el.state).to.equal('connecting');
    let thrown: unknown;
    try {
      await el.clearRetained().catch(() => {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.equal(undefined);
    await waitUntil(() => el.state === 'open', 30_000, 'open again');
  });
});

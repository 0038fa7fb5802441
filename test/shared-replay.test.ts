// `shared` followers when leadership changes hands: a new leader's connection resumes from
// its own cursor, which can be behind the follower's (the old leader's last events were still
// on their way to it when it took over). The leaders here are stand-ins: this page holds the
// group's Web Lock and posts on the group's BroadcastChannel exactly what a leading tab posts
// (its heartbeats and events), so the order of the handover is the test's to choose.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/define.js';
import type { RealtimeMessageEvent } from '../src/index.js';
import {
  Tab,
  closeAllTabs,
  hubConnections,
  record,
  uniqueName,
  waitUntil,
  faultRun,
} from './helpers.js';
import { feed, holdGroupLock, standIn } from './fixtures/stand-in-leader.js';

describe('shared followers across a change of leader', () => {
  it('drop, in order, what a new leader resuming behind them repeats, and lose nothing', async () => {
    const src = `/realtime/sse?topic=${uniqueName('handover')}`;
    const { name, release } = await holdGroupLock(src);
    const channel = new BroadcastChannel(name);
    const first = standIn(channel, 'tab-f', '');
    let stopBeats = first.stop;
    const follower = feed(src);
    const messages = record<RealtimeMessageEvent>(follower, 'message');
    try {
      document.body.append(follower);
      await waitUntil(() => follower.state === 'open', 10_000, 'the follower open');
      first.events([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await waitUntil(() => messages.length === 9, 10_000, 'events 1-9');
      // The next leader resumed after 6: it repeats 7-9, then goes on.
      first.stop();
      const second = standIn(channel, 'tab-g', '6');
      second.events([7, 8, 9, 10, 11, 12]);
      stopBeats = second.stop;
      await waitUntil(() => messages.some((e) => e.lastEventId === '12'), 10_000, 'event 12');
      expect(messages.map((e) => e.lastEventId)).to.deep.equal([
        '1',
        '2',
        '3',
        '4',
        '5',
        '6',
        '7',
        '8',
        '9',
        '10',
        '11',
        '12',
      ]);
      expect(follower.leader).to.equal(false);
      expect(follower.lastEventId).to.equal('12');
    } finally {
      first.stop();
      stopBeats();
      follower.remove();
      channel.close();
      release();
    }
  });

  it(faultRun('a leader that stops beating is taken over by one follower only'), async () => {
    const topic = uniqueName('takeover');
    const src = `/realtime/sse?topic=${topic}`;
    const { name, release } = await holdGroupLock(src);
    const channel = new BroadcastChannel(name);
    const hung = standIn(channel, 'tab-h', '');
    const tabs: Tab[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const tab = await Tab.open();
        // Every time this tab starts to lead, counted.
        await tab.eval(`(() => {
          window.leads = 0;
          window.got = [];
          const el = document.createElement('sse-feed');
          el.shared = true;
          el.src = ${JSON.stringify(src)};
          el.addEventListener('message', (event) => window.got.push(event.data));
          new MutationObserver(() => el.hasAttribute('leader') && window.leads++).observe(el, {
            attributes: true,
            attributeFilter: ['leader'],
          });
          document.body.append(el);
          window.el = el;
          return true;
        })()`);
        tabs.push(tab);
      }
      for (const tab of tabs) await tab.waitFor(`window.el.state === 'open'`, 10_000);
      // The leader hangs: it keeps its lock and goes silent. The three followers all notice.
      hung.stop();
      const leads = () => Promise.all(tabs.map((tab) => tab.eval<number>('window.leads')));
      await waitUntil(
        async () => (await leads()).some((n) => n > 0),
        15_000,
        'a follower taking over',
      );
      // A sentinel through the new leader's connection: once every tab has it, the takeover
      // is over (a second follower stealing would have done so before its beat was heard).
      // The stand-in had no cursor, so the new leader's stream starts when the hub has it.
      await waitUntil(async () => (await hubConnections(topic)).sse === 1, 15_000, 'hub stream');
      await executeServerCommand('hub-publish', { topic, many: ['sentinel'] });
      for (const tab of tabs)
        await tab
          .waitFor(`window.got.some((data) => data.includes('sentinel'))`, 15_000)
          .catch(async (error) => {
            const seen = await Promise.all(
              tabs.map((each) =>
                each.eval(
                  `({ leads: window.leads, leader: window.el.leader, state: window.el.state, got: window.got, log: window.trace })`,
                ),
              ),
            );
            throw new Error(`${error.message}: ${JSON.stringify(seen)}`);
          });
      expect((await leads()).reduce((a, b) => a + b)).to.equal(1);
    } finally {
      hung.stop();
      channel.close();
      release();
      await closeAllTabs();
    }
  });
});

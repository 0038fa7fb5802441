// Red team of `shared` (leader election, handover, replays). The leaders here are stand-ins, as
// in shared-replay.test.ts: this page holds the group's Web Lock (and, where a test says so, a
// takeover lock) and posts on the group's BroadcastChannel what a leading tab posts, so the
// order of a handover is the test's to choose.
import { expect } from '@open-wc/testing';
import '../src/define.js';
import type { RealtimeMessageEvent } from '../src/index.js';
import { record, uniqueName, waitUntil, faultRun } from './helpers.js';
import { feed, hold, holdGroupLock, standIn } from './fixtures/stand-in-leader.js';

afterEach(() => document.querySelectorAll('sse-feed').forEach((el) => el.remove()));

describe('shared red team', () => {
  // A follower that takes over in native mode makes a new EventSource, which cannot send
  // Last-Event-ID: the cursor goes in the `lastEventId` query, which a server written for
  // EventSource ignores and replays from the start (athrvk/vayu#21: a fresh EventSource replays
  // the entire retained topic; r3labs/sse#61: a restarted client gets every earlier event). An
  // unshared native element drops that replay (ReplayFilter); the new leader must too, though
  // it got those events from the old leader, not from an EventSource of its own.
  it('native: a follower that takes over drops the replay of a server that ignores the lastEventId query', async function () {
    this.timeout(30_000);
    const key = uniqueName('shared-native');
    const src = `/sse-test/numbered?key=${key}&count=8`;
    const { name, release } = await holdGroupLock(src, 'native');
    const channel = new BroadcastChannel(name);
    const leader = standIn(channel, 'tab-n', '');
    const el = feed(src, 'native');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    try {
      document.body.append(el);
      await waitUntil(() => el.state === 'open', 10_000, 'the follower open');
      leader.events([1, 2, 3, 4, 5]);
      await waitUntil(() => messages.length === 5, 10_000, 'events 1-5');
      leader.bye();
      release();
      await waitUntil(() => el.leader, 10_000, 'the follower leads');
      await waitUntil(() => el.lastEventId === '8', 10_000, 'event 8');
      expect(messages.map((e) => e.lastEventId)).to.deep.equal(
        ['1', '2', '3', '4', '5', '6', '7', '8'],
        `got ${messages.map((e) => e.lastEventId)}`,
      );
    } finally {
      leader.stop();
      channel.close();
      release();
    }
  });

  // A follower took the takeover lock of a hung leader's lease, stole the group's lock, and hung
  // itself before its first beat (a long task in the page; a tab frozen in the background). Its
  // lock and its takeover lock stay held; no beat ever names a new lease. The others must not
  // wait for it for ever (baidu/braft#529: the chosen successor cannot take over, no leader
  // until the next round; jasonrogena/lightraft#2: once one was elected, nobody else can be):
  // after another lease without a beat, one of them takes over.
  it(
    faultRun('a follower that took over and hung before its first beat is taken over in turn'),
    async function () {
      this.timeout(30_000);
      const src = `/realtime/sse?topic=${uniqueName('hung-taker')}`;
      const { name, release } = await holdGroupLock(src);
      const channel = new BroadcastChannel(name);
      const leader = standIn(channel, 'tab-h', '', 'lease-h');
      const el = feed(src);
      let releaseTakeover = () => {};
      try {
        document.body.append(el);
        await waitUntil(() => el.state === 'open', 10_000, 'the follower open');
        // The hung taker: it holds lease-h's takeover lock (and the group's lock, held above).
        releaseTakeover = await hold(`${name}:takeover:lease-h`);
        leader.stop();
        await waitUntil(() => el.leader, 15_000, 'a follower leads again');
        await waitUntil(() => el.state === 'open', 10_000, 'the new leader open');
      } finally {
        leader.stop();
        channel.close();
        releaseTakeover();
        release();
      }
    },
  );
});

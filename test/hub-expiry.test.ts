import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { SocketRelayElement } from '../src/socket-relay.js';
import type { PollFeedElement } from '../src/poll-feed.js';
import type { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { record, uniqueName, waitUntil, faultRun } from './helpers.js';

/** A token of the /expiring hub (test/e2e/hub-plugin.mjs) that lives `ms`. */
const mint = async (ms: number, user = 'u') =>
  (await executeServerCommand<{ token: string }, unknown>('hub-token', { ms, user })).token;

type Feed = SseFeedElement | SocketRelayElement | PollFeedElement;

/** One element per transport, each with its own renewable credentials. */
async function feeds(topic: string, life: number, user: string) {
  const made: { name: string; el: Feed; token: string; refreshes: number }[] = [];
  for (const name of ['sse', 'ws', 'poll'] as const) {
    const entry = {
      name,
      el: undefined as unknown as Feed,
      token: await mint(life, user),
      refreshes: 0,
    };
    const headers = () => ({ Authorization: `Bearer ${entry.token}` });
    let el: Feed;
    if (name === 'sse') {
      el = document.createElement('sse-feed');
      el.setAttribute('mode', 'fetch');
      el.setAttribute('type', 'json');
      el.setAttribute('src', `/expiring/sse?topic=${topic}`);
      (el as SseFeedElement).headers = headers;
    } else if (name === 'ws') {
      el = document.createElement('socket-relay');
      el.setAttribute('src', '/expiring/ws');
      el.setAttribute('topic', topic);
      (el as SocketRelayElement).auth = () => entry.token;
    } else {
      el = document.createElement('poll-feed');
      el.setAttribute('long', '');
      el.setAttribute('src', `/expiring/poll?topic=${topic}`);
      (el as PollFeedElement).headers = headers;
    }
    el.setAttribute('retry-min', '50');
    el.setAttribute('retry-max', '200');
    el.refresh = async () => {
      entry.refreshes++;
      entry.token = await mint(life, user);
    };
    entry.el = el;
    made.push(entry);
  }
  return made;
}

describe('hub credentials that expire (authorize returns expiresAt)', () => {
  it(
    faultRun(
      'a token expiring every 2 s during a 10 s stream: every event once, in order, authrefresh each time, no unauthorized (SSE, WebSocket, long-poll)',
    ),
    async function () {
      this.timeout(60_000);
      const topic = uniqueName('expiring');
      const all = await feeds(topic, 2000, 'u');
      const seen = all.map(({ el }) => ({
        messages: record<RealtimeMessageEvent>(el, 'message'),
        errors: record<RealtimeErrorEvent>(el, 'error'),
        refreshed: record(el, 'authrefresh'),
      }));
      for (const { el } of all) document.body.append(el);
      await waitUntil(() => all.every(({ el }) => el.state === 'open'), 30_000, 'all open');
      // The poll's first answer carries its cursor (it has none yet): wait for it.
      await waitUntil(
        () => (all[2].el as PollFeedElement).lastEventId !== '',
        30_000,
        'poll cursor',
      );
      await waitUntil(
        () => (all[1].el as SocketRelayElement).lastEventId !== '',
        30_000,
        'ws cursor',
      );
      const count = 100;
      await executeServerCommand('hub-expiring-publish', { topic, count, every: 100 });
      const expected = Array.from({ length: count }, (_, i) => i + 1);
      for (const [i, { name }] of all.entries()) {
        await waitUntil(
          () => seen[i].messages.length >= count,
          20_000,
          `${name}: ${seen[i].messages.length} of ${count}`,
        );
        expect(
          seen[i].messages.map((m) => m.data),
          name,
        ).to.deep.equal(expected);
        expect(
          seen[i].errors.map((e) => e.code),
          name,
        ).to.not.include('unauthorized');
        // 10 s of 2 s tokens: a renewal at least every 2 s or so.
        expect(seen[i].refreshed.length, `${name} authrefresh`).to.be.at.least(3);
        expect(seen[i].refreshed.length, name).to.equal(all[i].refreshes);
      }
      for (const { el } of all) el.remove();
    },
  );

  it('hub.disconnect({ user }) ends that user on every transport: without refresh, unauthorized and stopped', async function () {
    this.timeout(60_000);
    const topic = uniqueName('revoked');
    const all = await feeds(topic, 60_000, 'mallory');
    const kept = await feeds(topic, 60_000, 'alice');
    for (const { el } of [...all, ...kept]) {
      el.refresh = null;
      document.body.append(el);
    }
    const errors = all.map(({ el }) => record<RealtimeErrorEvent>(el, 'error'));
    await waitUntil(() => [...all, ...kept].every(({ el }) => el.state === 'open'), 30_000, 'open');
    // A long-poll is only "connected" while held: wait until each holds one (it has a cursor).
    await waitUntil(() => (all[2].el as PollFeedElement).lastEventId !== '', 30_000, 'poll held');
    const { ended } = await executeServerCommand<{ ended: number }, unknown>('hub-disconnect', {
      user: 'mallory',
    });
    expect(ended).to.be.at.least(2);
    for (const [i, { name, el }] of all.entries()) {
      await waitUntil(() => el.state === 'error', 30_000, `${name} stopped`);
      expect(
        errors[i].map((e) => e.code),
        name,
      ).to.include('unauthorized');
    }
    for (const { el } of kept) expect(el.state).to.equal('open');
    for (const { el } of [...all, ...kept]) el.remove();
  });
});

// hub.unsubscribe seen by the elements: the dropped topic stops, the others go on, and the
// element stays open with no error (SSE in fetch and native mode, WebSocket, long-poll).
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { SocketRelayElement } from '../src/socket-relay.js';
import type { PollFeedElement } from '../src/poll-feed.js';
import type { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { record, uniqueName, waitUntil } from './helpers.js';

const publish = (topic: string, ...many: unknown[]) =>
  executeServerCommand<string[], unknown>('hub-publish', { topic, many });

type Feed = SseFeedElement | SocketRelayElement | PollFeedElement;

describe('hub.unsubscribe with the elements', () => {
  it('the dropped topic stops, the other goes on, no error, still open (sse fetch + native, socket-relay, poll-feed)', async function () {
    this.timeout(60_000);
    const keep = uniqueName('keep');
    const drop = uniqueName('drop');
    const made: [string, Feed][] = [];
    for (const mode of ['fetch', 'native']) {
      const el = document.createElement('sse-feed');
      el.setAttribute('mode', mode);
      el.setAttribute('type', 'json');
      el.setAttribute('src', `/realtime/sse?topic=${keep}&topic=${drop}`);
      made.push([`sse ${mode}`, el]);
    }
    const relay = document.createElement('socket-relay');
    relay.setAttribute('src', '/realtime/ws');
    relay.setAttribute('topic', `${keep} ${drop}`);
    made.push(['socket-relay', relay]);
    const poll = document.createElement('poll-feed');
    poll.setAttribute('long', '');
    poll.setAttribute('src', `/realtime/poll?topic=${keep}&topic=${drop}`);
    made.push(['poll-feed', poll]);
    const seen = made.map(([, el]) => ({
      messages: record<RealtimeMessageEvent>(el, 'message'),
      errors: record<RealtimeErrorEvent>(el, 'error'),
    }));
    try {
      for (const [, el] of made) document.body.append(el);
      await waitUntil(() => made.every(([, el]) => el.state === 'open'), 30_000, 'all open');
      // Every element has its cursor (it is subscribed) before the topic is dropped.
      await waitUntil(() => made.every(([, el]) => el.lastEventId !== ''), 30_000, 'every cursor');
      const before = await publish(keep, 'first');
      await waitUntil(
        () => seen.every(({ messages }) => messages.length === 1),
        30_000,
        'first event everywhere',
      );
      expect(before).to.have.length(1);
      // The poll is held again (its answer carried `first`) before the topic goes.
      await waitUntil(
        async () =>
          (
            await executeServerCommand<{ poll: number }, unknown>('hub-connections', {
              includes: drop,
            })
          ).poll === 1,
        30_000,
        'poll held',
      );
      const { left } = await executeServerCommand<{ left: number }, unknown>('hub-unsubscribe', {
        topics: [drop],
      });
      expect(left).to.equal(4);
      await publish(drop, 'gone');
      await publish(keep, 'kept');
      await waitUntil(
        () => seen.every(({ messages }) => messages.some((m) => m.data === 'kept')),
        30_000,
        'the kept topic goes on',
      );
      for (const [i, [name, el]] of made.entries()) {
        expect(
          seen[i].messages.map((m) => m.data),
          name,
        ).to.deep.equal(['first', 'kept']);
        expect(
          seen[i].errors.map((e) => e.code),
          name,
        ).to.deep.equal([]);
        expect(el.state, name).to.equal('open');
      }
    } finally {
      for (const [, el] of made) el.remove();
    }
  });
});

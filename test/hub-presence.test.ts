import { expect } from '@open-wc/testing';
import '../src/define.js';
import type { PresenceChangeEvent, SocketRelayElement } from '../src/socket-relay.js';
import type { SseMessageEvent } from '../src/index.js';
import { uniqueName, waitUntil } from './helpers.js';

// Real hub: /presence of test/e2e/hub-plugin.mjs (presence on `room-` topics).
const relay = (topic: string, user: string) => {
  const el = document.createElement('socket-relay');
  el.setAttribute('src', '/presence/ws');
  el.setAttribute('topic', topic);
  el.auth = user;
  document.body.append(el);
  return el;
};

const feed = (topic: string, user: string, mode: 'native' | 'fetch') => {
  const el = document.createElement('sse-feed');
  el.setAttribute('mode', mode);
  el.setAttribute('type', 'json');
  el.setAttribute('src', `/presence/sse?topic=${topic}&user=${user}`);
  const presence: unknown[] = [];
  el.addEventListener('message', (event) => {
    const { eventType, data } = event as SseMessageEvent<unknown>;
    if (eventType === '$presence') presence.push(data);
  });
  document.body.append(el);
  return { el, presence };
};

const users = (el: SocketRelayElement, topic: string) =>
  [...(el.presence.get(topic)?.keys() ?? [])].sort().join();

describe('hub presence in the browser', () => {
  it('<socket-relay> presence and presencechange, <sse-feed> $presence events (native and fetch), a user with two tabs leaves with the last', async function () {
    this.timeout(30_000);
    const topic = uniqueName('room');
    const changes: PresenceChangeEvent[] = [];
    const alice = relay(topic, 'alice');
    alice.addEventListener('presencechange', (event) => changes.push(event));
    await waitUntil(() => users(alice, topic) === 'alice', 10_000, 'alice snapshot');
    expect(changes[0]!.action).to.equal('snapshot');
    expect(changes[0]!.topic).to.equal(topic);
    expect(changes[0]!.members.get('alice')).to.deep.equal({ name: 'ALICE' });
    const bob = relay(topic, 'bob');
    const carol = feed(topic, 'carol', 'native');
    await waitUntil(() => users(alice, topic) === 'alice,bob,carol', 10_000, 'joins');
    // alice's second tab opens once carol is in (two connections have no order of their own:
    // WebKit's EventSource was seen joining after a fetch started later): its snapshot has all.
    const aliceTab2 = feed(topic, 'alice', 'fetch');
    await waitUntil(() => users(bob, topic) === 'alice,bob,carol', 10_000, 'bob view');
    const join = changes.find((e) => e.action === 'join' && e.user === 'carol')!;
    expect(join.info).to.deep.equal({ name: 'CAROL' });
    expect(join.members).to.equal(alice.presence.get(topic));
    expect(join.bubbles).to.equal(false);

    // <sse-feed>: a snapshot, then joins, as `message` events of type `$presence` (both modes).
    for (const { presence } of [carol, aliceTab2]) {
      await waitUntil(() => presence.length > 0, 10_000, 'sse presence');
      const first = presence[0] as { action: string; topic: string; members: { user: string }[] };
      expect(first.action).to.equal('snapshot');
      expect(first.topic).to.equal(topic);
      expect(first.members.map((m) => m.user)).to.include('carol');
    }
    const second = aliceTab2.presence[0] as { members: { user: string }[] };
    expect(second.members.map((m) => m.user).sort()).to.deep.equal(['alice', 'bob', 'carol']);
    // The feed's cursor is the hub's, not moved by presence events.
    expect(carol.el.lastEventId).to.match(/^.+-\d+$/);

    // alice's second tab goes: she stays. bob leaving is the sentinel.
    aliceTab2.el.remove();
    bob.remove();
    await waitUntil(() => users(alice, topic) === 'alice,carol', 10_000, 'bob leave');
    const leave = changes.find((e) => e.action === 'leave')!;
    expect(leave.user).to.equal('bob');
    expect(changes.filter((e) => e.user === 'alice' && e.action === 'leave')).to.have.length(0);
    await waitUntil(
      () => carol.presence.some((m) => (m as { action: string; user: string }).action === 'leave'),
      10_000,
      'carol hears bob leave',
    );
    carol.el.remove();
    alice.remove();
  });

  it('<socket-relay> reconnect: the new snapshot replaces the members, a changed topic drops the old one', async function () {
    this.timeout(30_000);
    const topic = uniqueName('room');
    const other = uniqueName('room');
    const a = relay(topic, 'a');
    const b = relay(topic, 'b');
    await waitUntil(() => users(a, topic) === 'a,b', 10_000, 'both');
    a.setAttribute('disabled', '');
    b.remove();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(users(a, topic)).to.equal('a,b');
    a.removeAttribute('disabled');
    await waitUntil(() => users(a, topic) === 'a', 10_000, 'fresh snapshot');
    a.setAttribute('topic', other);
    await waitUntil(() => users(a, other) === 'a', 10_000, 'new topic');
    expect(a.presence.has(topic)).to.equal(false);
    a.remove();
  });
});

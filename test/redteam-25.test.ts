// Red team #25: every queued send takes its data as it is at the call. A shared
// `<socket-relay>` kept the caller's object while its shared code loaded and until the leader
// sent it, so a change made after `send()` changed what the hub published.
import { expect } from '@open-wc/testing';
import '../src/define.js';
import type { SocketRelayElement } from '../src/socket-relay.js';
import { uniqueName, waitUntil } from './helpers.js';

describe('red team #25: queued sends are taken at the call', () => {
  afterEach(() => document.querySelectorAll('socket-relay').forEach((el) => el.remove()));

  it('shared <socket-relay>: a send made before the shared code loads publishes the data as it was', async () => {
    const topic = uniqueName('taken');
    const src = `/realtime/ws?test=${topic}`;
    const observer = new WebSocket(`ws://${location.host}${src}`);
    const seen: unknown[] = [];
    let subscribed = false;
    observer.onmessage = (event) => {
      const frame = JSON.parse(event.data as string);
      if (frame.type === 'message') seen.push(frame.data);
      if (frame.type === 'subscribed') subscribed = true;
    };
    try {
      await new Promise((resolve) => (observer.onopen = resolve));
      observer.send(JSON.stringify({ type: 'subscribe', topics: [topic] }));
      await waitUntil(() => subscribed, 15_000, 'subscribed');
      const el = document.createElement('socket-relay') as SocketRelayElement;
      el.setAttribute('shared', '');
      el.setAttribute('src', src);
      el.setAttribute('topic', topic);
      document.body.append(el);
      const data = { items: ['first'] };
      el.send(data);
      data.items.push('changed after the call');
      el.send({ sentinel: true });
      await waitUntil(() => seen.length >= 2, 15_000, 'both sends published');
      expect(seen).to.deep.equal([{ items: ['first'] }, { sentinel: true }]);
    } finally {
      observer.close();
    }
  });
});

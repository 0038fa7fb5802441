// The hub against Chromium's own clients: native EventSource, WebSocket and fetch.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { uniqueName, waitUntil } from './helpers.js';

const publish = (topic: string, ...many: unknown[]) =>
  executeServerCommand<string[], unknown>('hub-publish', { topic, many });

describe('hub with Chromium clients', () => {
  it('native EventSource receives topic events and resumes after the server cuts it', async () => {
    const topic = uniqueName('es');
    const source = new EventSource(`/realtime/sse?topic=${topic}`);
    const received: unknown[] = [];
    const ids: string[] = [];
    source.addEventListener(topic, (event) => {
      received.push(JSON.parse((event as MessageEvent).data));
      ids.push((event as MessageEvent).lastEventId);
    });
    await waitUntil(() => source.readyState === EventSource.OPEN);
    await publish(topic, 1, 2);
    await waitUntil(() => received.length === 2);
    let errors = 0;
    source.addEventListener('error', () => errors++);
    await executeServerCommand('hub-cut');
    await waitUntil(() => errors > 0, 15_000, 'the drop');
    await publish(topic, 3, 4);
    await waitUntil(() => received.length === 4, 15_000, 'replay after the native reconnect');
    source.close();
    expect(received).to.deep.equal([1, 2, 3, 4]);
    expect(new Set(ids).size).to.equal(4);
  });

  it('native EventSource resumes from a lastEventId query on its first request', async () => {
    const topic = uniqueName('query');
    const [first] = await publish(topic, 'a', 'b', 'c');
    const source = new EventSource(`/realtime/sse?topic=${topic}&lastEventId=${first}`);
    const received: unknown[] = [];
    source.addEventListener(topic, (event) =>
      received.push(JSON.parse((event as MessageEvent).data)),
    );
    await waitUntil(() => received.length === 2);
    source.close();
    expect(received).to.deep.equal(['b', 'c']);
  });

  it('a WebSocket in the page publishes to an EventSource in the page', async () => {
    const topic = uniqueName('ws');
    const source = new EventSource(`/realtime/sse?topic=${topic}`);
    const received = new Promise<MessageEvent>((resolve) =>
      source.addEventListener(topic, (event) => resolve(event as MessageEvent)),
    );
    await waitUntil(() => source.readyState === EventSource.OPEN);
    const socket = new WebSocket(`ws://${location.host}/realtime/ws`);
    const frames: { type: string }[] = [];
    socket.onmessage = (event) => frames.push(JSON.parse(event.data));
    await new Promise((resolve) => (socket.onopen = resolve));
    socket.send(JSON.stringify({ type: 'publish', topic, data: { hello: 'sse' }, ref: 7 }));
    expect(JSON.parse((await received).data)).to.deep.equal({ hello: 'sse' });
    await waitUntil(() => frames.some((frame) => frame.type === 'ack'));
    socket.close();
    source.close();
  });

  it('long-poll from fetch: cursor in, events and the next cursor out', async () => {
    const topic = uniqueName('poll');
    const start = await (await fetch(`/realtime/poll?topic=${topic}&timeout=0`)).json();
    const pending = fetch(`/realtime/poll?topic=${topic}&since=${start.cursor}`).then((r) =>
      r.json(),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [id] = await publish(topic, { n: 1 });
    const body = await pending;
    expect(body).to.deep.equal({ events: [{ id, topic, data: { n: 1 } }], cursor: id });
  });
});

// The elements' `rewind` and `last-event-id` against the real hub (issue #26), and the reset
// that names the topic which lost history.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import '../src/poll-feed-define.js';
import '../src/socket-relay-define.js';
import type { RealtimeErrorEvent, RealtimeMessageEvent, ResetEvent } from '../src/index.js';
import { record, uniqueName, waitUntil } from './helpers.js';

const publish = (topic: string, ...many: unknown[]) =>
  executeServerCommand<string[], unknown>('hub-publish', { topic, many });
const dataOf = (events: Event[]) =>
  events.filter((e) => e.type === 'message').map((e) => (e as RealtimeMessageEvent).data);

function element(tag: string, attrs: Record<string, string>): HTMLElement {
  const el = document.createElement(tag);
  el.setAttribute('retry-min', '10');
  el.setAttribute('retry-max', '50');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

const cases: [string, (topics: string[]) => Record<string, string>][] = [
  [
    'sse-feed',
    (t) => ({ src: `/realtime/sse?${t.map((x) => `topic=${x}`).join('&')}`, type: 'json' }),
  ],
  [
    'poll-feed',
    (t) => ({ src: `/realtime/poll?${t.map((x) => `topic=${x}`).join('&')}`, long: '' }),
  ],
  ['socket-relay', (t) => ({ src: '/realtime/ws', topic: t.join(' ') })],
];

describe('hub history from the elements', () => {
  afterEach(() => {
    document.querySelectorAll('sse-feed, poll-feed, socket-relay').forEach((el) => el.remove());
  });

  for (const [tag, attrs] of cases) {
    describe(`<${tag}>`, () => {
      it('rewind: the last N events of its topics first, then live', async () => {
        const a = uniqueName('rw-a');
        const b = uniqueName('rw-b');
        await publish(a, 'a1');
        await publish(b, 'b1');
        await publish(a, 'a2');
        const el = element(tag, { ...attrs([a, b]), rewind: '2' });
        const events = record(el, 'message', 'reset');
        document.body.append(el);
        await waitUntil(() => dataOf(events).length === 2, 10_000, 'the rewind');
        await publish(b, 'live');
        await waitUntil(() => dataOf(events).length === 3, 10_000, 'the live event');
        expect(dataOf(events)).to.deep.equal(['b1', 'a2', 'live']);
        expect(events.filter((e) => e.type === 'reset')).to.have.length(0);
      });

      it('last-event-id: starts from a server-rendered cursor, missing nothing published since', async () => {
        const topic = uniqueName('render');
        const [first] = await publish(topic, 'rendered');
        // Published between the render and the element's subscribe.
        await publish(topic, 'after-1', 'after-2');
        const el = element(tag, { ...attrs([topic]), 'last-event-id': first!, rewind: '5' });
        const events = record(el, 'message', 'reset');
        document.body.append(el);
        await waitUntil(() => dataOf(events).length === 2, 10_000, 'the replay');
        await publish(topic, 'live');
        await waitUntil(() => dataOf(events).length === 3, 10_000, 'the live event');
        // A cursor resumes: the rewind is not applied.
        expect(dataOf(events)).to.deep.equal(['after-1', 'after-2', 'live']);
      });

      it('a rewind that is no whole number ≥ 0 is invalid-attribute, told once (no retry loop)', async () => {
        for (const bad of ['1.5', '-1', 'abc', '1e20']) {
          const el = element(tag, { ...attrs([uniqueName('bad-rw')]), rewind: bad });
          const events = record(el, 'error');
          document.body.append(el);
          await waitUntil(() => events.length > 0, 10_000, `the error for rewind="${bad}"`);
          expect((events[0] as RealtimeErrorEvent).code, bad).to.equal('invalid-attribute');
          el.remove();
        }
      });

      it('a reset names the topic that lost history; the other topic misses nothing', async () => {
        const quiet = uniqueName('quiet');
        const lossy = uniqueName('short-');
        const [start] = await publish(quiet, 'q0');
        await publish(quiet, 'q1');
        await publish(lossy, 1, 2, 3, 4);
        const el = element(tag, { ...attrs([quiet, lossy]), 'last-event-id': start! });
        const events = record(el, 'message', 'reset');
        document.body.append(el);
        await waitUntil(() => dataOf(events).length === 3, 10_000, 'the replay');
        const reset = events[0] as ResetEvent;
        expect(reset.type).to.equal('reset');
        expect(reset.reason).to.equal('too-old');
        expect(reset.topics).to.deep.equal([lossy]);
        expect(dataOf(events)).to.deep.equal(['q1', 3, 4]);
      });
    });
  }
});

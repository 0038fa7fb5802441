import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import '../src/poll-feed-define.js';
import { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { waitUntil } from './helpers.js';

// A hub on another port (127.0.0.1 vs the page's localhost): another origin, as a page served by
// one server and a hub by another would be.
interface Other {
  origin: string;
  requests: Record<string, number>;
}
const other = (payload: object = {}) =>
  executeServerCommand<Other, object>('hub-other-origin', payload);

function element(tag: 'sse-feed' | 'poll-feed', src: string): HTMLElement {
  const el = document.createElement(tag);
  el.setAttribute('retry-min', '20');
  el.setAttribute('retry-max', '40');
  if (tag === 'poll-feed') el.setAttribute('long', '');
  el.setAttribute('src', src);
  return el;
}

describe('a hub on another origin', () => {
  const refused: {
    el: HTMLElement;
    errors: RealtimeErrorEvent[];
    path: string;
    requests: Record<string, number>;
  }[] = [];
  after(() => document.querySelectorAll('sse-feed, poll-feed').forEach((el) => el.remove()));

  for (const [tag, path] of [
    ['sse-feed', '/realtime/sse?topic=o'],
    ['poll-feed', '/realtime/poll?topic=o'],
  ] as const) {
    it(`<${tag}> stops with the final error forbidden-origin when the hub refuses the page`, async () => {
      const { origin } = await other();
      const errors: RealtimeErrorEvent[] = [];
      const el = element(tag, origin + path);
      el.addEventListener('error', (event) => errors.push(event as unknown as RealtimeErrorEvent));
      document.body.append(el);
      await waitUntil(() => errors.length > 0, 15_000, 'an error event');
      expect(errors[0]!.code).to.equal('forbidden-origin');
      expect(errors[0]!.status).to.equal(403);
      expect(errors[0]!.message).to.contain(location.origin);
      // Final: stopped (a retry would show as `connecting`), and no request follows — checked
      // once the next test has run (its traffic is the sentinel).
      expect(el.getAttribute('state')).to.equal('error');
      refused.push({ el, errors, path: path.split('?')[0]!, requests: (await other()).requests });
    });
  }

  it('the same elements receive from a hub that allows the origin', async () => {
    const { origin } = await other();
    const sse = element('sse-feed', `${origin}/open/sse?topic=allowed`);
    const poll = element('poll-feed', `${origin}/open/poll?topic=allowed`);
    const got: unknown[] = [];
    for (const el of [sse, poll]) {
      el.setAttribute('type', 'json');
      el.addEventListener('message', (event) => got.push((event as RealtimeMessageEvent).data));
      document.body.append(el);
    }
    await waitUntil(
      () => sse.getAttribute('state') === 'open' && poll.getAttribute('state') === 'open',
      15_000,
      'both open',
    );
    await other({ publish: { topic: 'allowed', data: { n: 1 } } });
    await waitUntil(() => got.length === 2, 15_000, 'both messages');
    expect(got).to.deep.equal([{ n: 1 }, { n: 1 }]);
  });

  it('the refused elements never tried again', async () => {
    expect(refused.length).to.equal(2);
    const { requests } = await other();
    for (const { el, errors, path, requests: then } of refused) {
      expect(requests[path], path).to.equal(then[path]);
      expect(errors.length).to.equal(1);
      expect(el.getAttribute('state')).to.equal('error');
    }
  });
});

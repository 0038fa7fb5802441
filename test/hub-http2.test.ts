import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { waitUntil } from './helpers.js';

interface TabState {
  received: unknown[];
  errors: string[];
  protocol: string;
  state: string;
}
interface H2State {
  sessionsTotal: number;
  sessionsOpen: number;
  tlsOpen: number;
  sseH2: number;
  sseH1: number;
  hub: { sse: number };
  tabs: Record<string, TabState>;
}

const command = <T>(name: string, payload?: unknown) =>
  executeServerCommand<T, unknown>(name, payload);
const state = () => command<H2State>('h2-state');

// Over HTTP/1.1 a browser opens at most six connections per origin, and each SSE stream holds
// one: the seventh tab does not even load (seen in Chromium here), which is what `shared` mode
// works around. Over HTTP/2 every stream of the origin is multiplexed on one TLS connection.
describe('the hub over HTTP/2 (TLS) in Chromium', () => {
  afterEach(() => command('h2-close-tabs'));

  it('ten tabs each hold their own <sse-feed> stream, all on one connection, and all get events', async () => {
    await command('h2-start');
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      // Half EventSource (native), half fetch + the streaming parser (auto, same origin).
      ids.push(
        await command<string>('h2-open-tab', {
          topics: ['h2-all', `h2-tab-${i}`],
          native: i % 2 === 0,
        }),
      );
    }
    let opened!: H2State;
    await waitUntil(
      async () => {
        opened = await state();
        const tabs = Object.values(opened.tabs);
        return opened.sseH2 === 10 && tabs.every((t) => t.state === 'open');
      },
      30_000,
      'ten open feeds, ten SSE streams over HTTP/2',
    );
    expect(opened.hub.sse).to.equal(10);
    expect(opened.sseH1).to.equal(0);
    expect(Object.values(opened.tabs).map((t) => t.protocol)).to.deep.equal(Array(10).fill('h2'));
    // Every page, script and stream of the ten tabs went over one TLS connection.
    expect([opened.sessionsTotal, opened.sessionsOpen, opened.tlsOpen]).to.deep.equal([1, 1, 1]);

    await command('h2-publish', { topic: 'h2-all', data: 'to all' });
    for (let i = 0; i < 10; i++) await command('h2-publish', { topic: `h2-tab-${i}`, data: i });
    // A page's own POST carries `Origin`: the hub finds its host in `:authority` (HTTP/2 has no
    // `Host` header) and lets it publish.
    expect(
      await command('h2-tab-publish', { id: ids[3], topic: 'h2-all', data: 'from tab 3' }),
    ).to.equal(200);
    let done!: H2State;
    await waitUntil(
      async () => {
        done = await state();
        return Object.values(done.tabs).every((t) => t.received.length === 3);
      },
      30_000,
      'every tab got its three events',
    );
    ids.forEach((id, i) => {
      expect(done.tabs[id].received, `tab ${i}`).to.deep.equal(['to all', i, 'from tab 3']);
      expect(done.tabs[id].errors, `tab ${i}`).to.deep.equal([]);
      expect(done.tabs[id].state).to.equal('open');
    });
    expect([done.sessionsTotal, done.tlsOpen]).to.deep.equal([1, 1]);
  });
});

import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Tab, closeAllTabs, engine, waitUntil } from './helpers.js';

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
  tlsTotal: number;
  sseH2: number;
  sseH1: number;
  hub: { sse: number };
  requests: string[];
}

const command = <T>(name: string, payload?: unknown) =>
  executeServerCommand<T, unknown>(name, payload);
const server = () => command<H2State>('h2-state');
const tabState = (tab: Tab) =>
  tab.eval<TabState>(`({
    received: window.received,
    errors: window.errors,
    protocol: performance.getEntriesByType('navigation')[0]?.nextHopProtocol,
    state: document.querySelector('sse-feed').state,
  })`);
const states = (tabs: Tab[]) => Promise.all(tabs.map(tabState));

// Over HTTP/1.1 a browser opens at most six connections per origin, and each SSE stream holds
// one: the seventh tab does not even load (seen in Chromium here), which is what `shared` mode
// works around. Over HTTP/2 every stream of the origin is multiplexed on one TLS connection.
// The server (test/e2e/hub-http2-plugin.mjs) has a self-signed certificate: the tabs accept it,
// the test page's context keeps its checks.
describe('the hub over HTTP/2 (TLS)', () => {
  afterEach(() => closeAllTabs());

  it('ten tabs each hold their own <sse-feed> stream, all on one connection, and all get events', async function () {
    // Ten tabs opened one by one: over WebDriver classic on a loaded machine that alone took
    // most of mocha's default minute.
    this.timeout(120_000);
    const { origin } = await command<{ origin: string }>('h2-start');
    const tabs: Tab[] = [];
    for (let i = 0; i < 10; i++) {
      // Half EventSource (native), half fetch + the streaming parser (auto, same origin).
      const query = `topic=h2-all&topic=h2-tab-${i}${i % 2 === 0 ? '&native' : ''}`;
      tabs.push(
        await Tab.open(`${origin}/feed.html?${query}`, 'Array.isArray(window.received)', {
          acceptInsecureCerts: true,
        }),
      );
    }
    let opened!: H2State;
    let tabStates: TabState[] = [];
    await waitUntil(
      async () => {
        opened = await server();
        tabStates = await states(tabs);
        return opened.sseH2 === 10 && tabStates.every((t) => t.state === 'open');
      },
      30_000,
      'ten open feeds, ten SSE streams over HTTP/2',
    ).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify({ opened, tabStates })}`);
    });
    expect(opened.hub.sse).to.equal(10);
    expect(opened.sseH1).to.equal(0);
    expect(tabStates.map((t) => t.protocol)).to.deep.equal(Array(10).fill('h2'));
    // Every page, script and stream of the ten tabs went over one TLS connection.
    expect(
      [opened.sessionsTotal, opened.sessionsOpen, opened.tlsOpen],
      opened.requests.join('\n'),
    ).to.deep.equal([1, 1, 1]);

    await command('h2-publish', { topic: 'h2-all', data: 'to all' });
    for (let i = 0; i < 10; i++) await command('h2-publish', { topic: `h2-tab-${i}`, data: i });
    // A page's own POST carries `Origin`: the hub finds its host in `:authority` (HTTP/2 has no
    // `Host` header) and lets it publish.
    expect(
      await tabs[3].eval(`fetch('/realtime/publish?topic=h2-all', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify('from tab 3'),
      }).then((response) => response.status)`),
    ).to.equal(200);
    let done: TabState[] = [];
    await waitUntil(
      async () => {
        done = await states(tabs);
        return done.every((t) => t.received.length === 3);
      },
      30_000,
      'every tab got its three events',
    );
    done.forEach((tab, i) => {
      expect(tab.received, `tab ${i}`).to.deep.equal(['to all', i, 'from tab 3']);
      expect(tab.errors, `tab ${i}`).to.deep.equal([]);
      expect(tab.state).to.equal('open');
    });
    // Everything but the POST stayed on the one connection. WebKitGTK's network stack (libsoup
    // 3.2) never sends a non-idempotent request (POST) on a connection it already has, HTTP/2 or
    // not (soup-connection-manager.c, `need_new_connection`): there the POST opened its own.
    const after = await server();
    const post = after.requests.filter((request) => request.endsWith('POST /realtime/publish'));
    const others = after.requests.filter((request) => !post.includes(request));
    expect(post, after.requests.join('\n')).to.deep.equal([
      engine === 'webkit' ? 'h2#2 POST /realtime/publish' : 'h2#1 POST /realtime/publish',
    ]);
    expect(
      others.every((request) => request.startsWith('h2#1 ')),
      others.join('\n'),
    ).to.equal(true);
    expect([after.sessionsTotal, after.tlsTotal]).to.deep.equal(
      engine === 'webkit' ? [2, 2] : [1, 1],
    );
  });
});

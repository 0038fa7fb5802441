import { expect, html, fixture, oneEvent } from '@open-wc/testing';
import '../src/popup-bridge-define.js';
import {
  BridgeRequestError,
  PopupBridgeElement,
  type PopupMessageEvent,
} from '../src/popup-bridge.js';
import { RealtimeCloseEvent } from '../src/index.js';
import { Tab, closeAllTabs, record, uniqueName, waitUntil } from './helpers.js';

const otherOrigin = `http://other.example.test:${location.port}`;

/** The peer page's own bridge, reached through a same-origin frame. */
type PeerWindow = Window & { bridge: PopupBridgeElement };

describe('<popup-bridge> across reloads and navigations', () => {
  afterEach(async () => {
    document.querySelectorAll('popup-bridge').forEach((el) => {
      el.close();
      el.remove();
    });
    document.querySelectorAll('iframe').forEach((frame) => frame.remove());
    await closeAllTabs();
  });

  // postmate #242, gumroad PR #7110 ("stale reply targeting a reloaded iframe document"): a
  // reply to a request made by the frame's old document must not answer the new document's
  // request that happens to carry the same id.
  it("a slow reply to the old document never answers the reloaded document's request", async () => {
    const frame = document.createElement('iframe');
    frame.id = uniqueName('frame');
    frame.src = '/test/fixtures/popup.html?silent';
    document.body.append(frame);
    const el = await fixture<PopupBridgeElement>(
      html`<popup-bridge for=${frame.id}></popup-bridge>`,
    );
    await waitUntil(() => el.state === 'open', 15_000, 'open');
    const asked: PopupMessageEvent[] = [];
    el.addEventListener('message', (event) => asked.push(event));
    const peer = () => frame.contentWindow as PeerWindow;
    await waitUntil(() => peer().bridge?.state === 'open', 15_000, 'frame side open');
    // The old document's own promise goes with it; only the reply's destination matters here.
    void peer()
      .bridge.request('first')
      .catch((error: BridgeRequestError) => error.code);
    await waitUntil(() => asked.length === 1, 15_000, 'first request');
    const opens = record(el, 'open');
    peer().location.reload();
    await waitUntil(() => opens.length === 1, 15_000, 'open after the reload');
    await waitUntil(() => peer().bridge?.state === 'open', 15_000, 'new frame side open');
    const second = peer().bridge.request('second', { timeout: 15_000 });
    await waitUntil(() => asked.length === 2, 15_000, 'second request');
    asked[0].reply!('answer to first');
    asked[1].reply!('answer to second');
    expect(await second).to.equal('answer to second');
  });

  // MSAL #129, oidc-client-ts #2043: the caller of a popup request that failed (the user closed
  // the window, or no answer in time) retries. The request it saw fail must never reach the next
  // window too: the other side would act on it twice.
  for (const [how, end] of [
    ['the window closed before the handshake', (popup: Window) => popup.close()],
    ['it timed out before the handshake', () => undefined],
  ] as const) {
    it(`a request that rejected because ${how} is never delivered later`, async () => {
      const mark = uniqueName('peer');
      const el = document.createElement('popup-bridge');
      // A page without a bridge: no handshake.
      el.src = `/test/fixtures/tab.html?mark=${mark}`;
      el.name = mark;
      document.body.append(el);
      await el.updateComplete;
      const popup = el.open()!;
      el.post('kept: a post is delivered once a window is there');
      const failed = el
        .request({ charge: 42 }, { timeout: 300 })
        .catch((error: BridgeRequestError) => error.code);
      end(popup);
      expect(await failed).to.equal(how.includes('closed') ? 'closed' : 'timeout');
      if (!popup.closed) popup.close();
      await waitUntil(() => el.state === 'closed', 15_000, 'closed');
      el.src = `/test/fixtures/popup.html?mark=${mark}-2`;
      await el.updateComplete;
      el.open();
      await oneEvent(el, 'open');
      expect(await el.request('sentinel')).to.deep.equal({ echo: 'sentinel' });
      const next = await Tab.find(`${mark}-2`);
      const log = await next.eval<{ data?: unknown }[]>('window.log');
      expect(log.filter((e) => 'data' in e).map((e) => e.data)).to.deep.equal([
        'kept: a post is delivered once a window is there',
        'sentinel',
      ]);
    });
  }

  // oidc-client / MSAL popups: the popup goes to the identity provider (another origin) and
  // comes back. The bridge waits through the detour and delivers what was posted meanwhile.
  it('a popup that navigates to another origin and back re-opens and delivers what waited', async () => {
    const mark = uniqueName('peer');
    const src = `/test/fixtures/popup.html?mark=${mark}`;
    const el = document.createElement('popup-bridge');
    el.src = src;
    el.name = mark;
    document.body.append(el);
    await el.updateComplete;
    const closes = record<RealtimeCloseEvent>(el, 'close');
    const popup = el.open()!;
    await oneEvent(el, 'open');
    const tab = await Tab.find(mark);
    await tab.eval(
      `(location.href = ${JSON.stringify(`${otherOrigin}/test/fixtures/tab.html`)}, true)`,
    );
    await waitUntil(() => closes.length === 1, 15_000, 'close when it left');
    expect(closes[0].willReconnect).to.equal(true);
    expect(el.state).to.equal('connecting');
    await waitUntil(
      () => {
        try {
          return popup.location.href === undefined;
        } catch {
          return true; // cross-origin now
        }
      },
      15_000,
      'popup on the other origin',
    );
    el.post('while away');
    const answer = el.request('asked while away', { timeout: 10_000 });
    popup.location.href = new URL(src, location.href).href;
    expect(await answer).to.deep.equal({ echo: 'asked while away' });
    expect(el.state).to.equal('open');
    const log = await tab.waitFor<{ data?: unknown }[]>(
      'window.log.filter((e) => "data" in e).length === 2 && window.log',
    );
    expect(log.filter((e) => 'data' in e).map((e) => e.data)).to.deep.equal([
      'while away',
      'asked while away',
    ]);
    expect(closes.map((e) => e.willReconnect)).to.deep.equal([true]);
  });
});

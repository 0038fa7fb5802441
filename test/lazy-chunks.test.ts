/**
 * What loads lazily (issue #25's byte budget) keeps every order and timing guarantee: work made
 * while a chunk loads is done in call order once it has loaded, and what arrives meanwhile
 * waits for it. This file runs in a fresh page, so each chunk really loads here for the first
 * time (the dev server transforms it on request, slower than a postMessage round trip).
 */
import { expect, oneEvent } from '@open-wc/testing';
import '../src/popup-bridge-define.js';
import '../src/sse-feed-define.js';
import type { PopupBridgeElement } from '../src/popup-bridge.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { RealtimeMessageEvent } from '../src/index.js';
import { Tab, closeAllTabs, record, uniqueName, waitUntil } from './helpers.js';

describe('lazy chunks keep the order', () => {
  afterEach(async () => {
    document.querySelectorAll('popup-bridge').forEach((el) => {
      el.close();
      el.remove();
    });
    document.querySelectorAll('sse-feed').forEach((el) => el.remove());
    await closeAllTabs();
  });

  it('<popup-bridge>: posts and requests arrive in call order; replies that come while the request code loads are kept', async () => {
    const mark = uniqueName('lazy');
    const el = document.createElement('popup-bridge') as PopupBridgeElement;
    el.src = `/test/fixtures/popup.html?mark=${mark}`;
    el.name = mark;
    document.body.append(el);
    await el.updateComplete;
    // Before the handshake (queued) …
    const early: Promise<unknown>[] = [];
    for (let i = 0; i < 12; i++) {
      if (i % 3 === 1) early.push(el.request({ i }));
      else el.post({ i });
    }
    const opened = oneEvent(el, 'open');
    el.open();
    await opened;
    // … and after it (sent at once), in one task.
    const late: Promise<unknown>[] = [];
    for (let i = 12; i < 24; i++) {
      if (i % 3 === 1) late.push(el.request({ i }));
      else el.post({ i });
    }
    const replies = await Promise.all([...early, ...late]);
    expect(replies).to.deep.equal(
      [...Array(24).keys()].filter((i) => i % 3 === 1).map((i) => ({ echo: { i } })),
    );
    const popup = await Tab.find(mark);
    const seen = await popup.waitFor<{ data: { i: number } }[]>(
      'window.log.filter((e) => "data" in e).length === 24 && window.log.filter((e) => "data" in e)',
    );
    expect(seen.map((entry) => entry.data.i)).to.deep.equal([...Array(24).keys()]);
  });

  it('<sse-feed mode="native">: every event once and in order while its connection code loads', async () => {
    const key = uniqueName('native-lazy');
    const el = document.createElement('sse-feed') as SseFeedElement;
    el.mode = 'native';
    el.events = 'odd even';
    el.src = `/sse-test/events?key=${key}&count=30`;
    const messages = record<RealtimeMessageEvent>(el, 'message');
    document.body.append(el);
    await waitUntil(() => messages.length >= 30, 20_000, '30 events');
    expect(messages.map((m) => m.data)).to.deep.equal(
      [...Array(30).keys()].map((i) => String(i + 1)),
    );
  });
});

import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { DoneEvent } from '../src/internal/done-event.js';
import {
  RealtimeCloseEvent,
  type RealtimeErrorEvent,
  type RealtimeMessageEvent,
  type StateChangeEvent,
} from '../src/index.js';
import { Tab, closeAllTabs, record, uniqueName, waitUntil } from './helpers.js';

interface SeenRequest {
  method: string;
  lastEventId: string | null;
  closed: boolean;
  body?: string;
  authorization?: string | null;
}

const requestsFor = (key: string) =>
  executeServerCommand<SeenRequest[], unknown>('sse-test-requests', { key });

/** The LLM-like endpoint of test/e2e/sse-test-server.mjs, one key per test. */
const llm = (query = '') => {
  const key = uniqueName('llm');
  return { key, src: `/sse-test/llm?key=${key}${query ? `&${query}` : ''}` };
};

const ANSWER = (prompt: string) =>
  `You asked: ${prompt}. Here is a short answer in twelve words, streamed.`;

const chat = (src: string, attrs: Record<string, string> = {}) => {
  const el = document.createElement('sse-feed');
  el.setAttribute('once', '');
  el.setAttribute('method', 'POST');
  el.setAttribute('type', 'json');
  el.setAttribute('done-data', '[DONE]');
  el.setAttribute('retry-min', '20');
  el.setAttribute('retry-max', '60');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.setAttribute('src', src);
  document.body.append(el);
  return el;
};

const text = (messages: RealtimeMessageEvent[]) =>
  messages.map((event) => (event.data as { delta: string }).delta).join('');

/** Hides the tab (the one allowed stand-in: headless tabs always report `visible`). */
function setVisibility(state: 'hidden' | 'visible') {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('<sse-feed once>: one-shot streams (an LLM-style endpoint)', () => {
  afterEach(async () => {
    delete (document as { visibilityState?: unknown }).visibilityState;
    delete (document as { hidden?: unknown }).hidden;
    await closeAllTabs();
  });

  it('sends nothing until stream(), then one POST; [DONE] ends it: closed, close, done, resolved', async () => {
    const { key, src } = llm();
    const el = chat(src) as SseFeedElement;
    const messages = record<RealtimeMessageEvent>(el, 'message');
    const log = record(el, 'open', 'close', 'done', 'error', 'statechange');
    await el.updateComplete;
    expect(el.state).to.equal('closed');
    expect(await requestsFor(key)).to.have.length(0);
    await el.stream({ prompt: 'hi' });
    expect(text(messages)).to.equal(ANSWER('hi'));
    expect(messages.every((m) => m.data !== '[DONE]')).to.equal(true);
    expect(el.state).to.equal('closed');
    const types = log.map((e) => e.type).filter((t) => t !== 'statechange');
    expect(types).to.deep.equal(['open', 'close', 'done']);
    expect((log.find((e) => e.type === 'close') as RealtimeCloseEvent).willReconnect).to.equal(
      false,
    );
    const done = log.find((e) => e.type === 'done') as DoneEvent;
    expect([done.reason, done.data]).to.deep.equal(['data', '[DONE]']);
    const seen = await requestsFor(key);
    expect(seen).to.have.length(1);
    expect(seen[0].method).to.equal('POST');
    expect(JSON.parse(seen[0].body!)).to.deep.equal({ prompt: 'hi' });
    // The server keeps its side open after [DONE]: the element lets go of it.
    await waitUntil(
      async () => (await requestsFor(key))[0].closed,
      30_000,
      'the server saw the end',
    );
    el.remove();
  });

  it('a clean end of the body and a done-event end it too, never re-POSTed', async () => {
    const { key, src } = llm('end');
    const el = chat(src, { 'done-data': '' }) as SseFeedElement;
    const done = record<DoneEvent>(el, 'done');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    await el.stream({ prompt: 'end' });
    // Without done-data the sentinel is data like any other (not JSON: a parse-error) and the
    // end of the body ends the stream.
    expect(done.map((d) => d.reason)).to.deep.equal(['end']);
    expect(text(messages)).to.equal(ANSWER('end'));
    expect(await requestsFor(key)).to.have.length(1);
    el.remove();
  });

  it('exactly one request per stream() through tab switches, a real second tab and a hidden tab', async () => {
    const { key, src } = llm('every=60');
    const el = chat(src, { 'pause-hidden': '' }) as SseFeedElement;
    const messages = record<RealtimeMessageEvent>(el, 'message');
    const states = record<StateChangeEvent>(el, 'statechange');
    const running = el.stream({ prompt: 'tabs' });
    await waitUntil(() => messages.length >= 2);
    const other = await Tab.open();
    setVisibility('hidden');
    const hiddenAt = messages.length;
    await waitUntil(
      () => messages.length > hiddenAt || el.state === 'closed',
      30_000,
      'events keep coming while hidden',
    );
    setVisibility('visible');
    await other.eval('document.title');
    setVisibility('hidden');
    setVisibility('visible');
    await running;
    expect(states.map((e) => e.state)).to.deep.equal(['connecting', 'open', 'closed']);
    expect(text(messages)).to.equal(ANSWER('tabs'));
    expect(await requestsFor(key)).to.have.length(1);
    // A second stream() is a second request, and a new answer.
    messages.length = 0;
    await el.stream({ prompt: 'again' });
    expect(text(messages)).to.equal(ANSWER('again'));
    expect(await requestsFor(key)).to.have.length(2);
    el.remove();
  });

  it('a drop without ids is interrupted: error, rejected, never sent again', async () => {
    const { key, src } = llm('drop=3');
    const el = chat(src) as SseFeedElement;
    const errors = record<RealtimeErrorEvent>(el, 'error');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    const error = await el.stream({ prompt: 'cut' }).then(
      () => null,
      (reason: { code?: string }) => reason,
    );
    expect(error?.code).to.equal('interrupted');
    expect(errors.map((e) => e.code)).to.deep.equal(['interrupted']);
    expect(messages).to.have.length(3);
    expect(el.state).to.equal('error');
    // A sentinel: the server would have seen a second request before this one.
    const next = el.stream({ prompt: 'next' });
    await next;
    const seen = await requestsFor(key);
    expect(seen.map((s) => JSON.parse(s.body!).prompt)).to.deep.equal(['cut', 'next']);
    el.remove();
  });

  it('a drop with ids resumes with Last-Event-ID: every chunk once, in order', async () => {
    const { key, src } = llm('ids&drop=4');
    const el = chat(src) as SseFeedElement;
    const messages = record<RealtimeMessageEvent>(el, 'message');
    await el.stream({ prompt: 'resume' });
    expect(text(messages)).to.equal(ANSWER('resume'));
    const seen = await requestsFor(key);
    // The resume names the last chunk this page read: '3' (the last one sent before the drop),
    // or an earlier one when the drop came before the page had read the chunk in flight (the
    // browser's stream discards unread chunks with the error). Never none, never a later one.
    const ids = seen.map((s) => s.lastEventId);
    expect(ids[0]).to.equal(null);
    expect(ids.length).to.be.greaterThan(1);
    for (const id of ids.slice(1)) expect(['1', '2', '3']).to.include(id);
    el.remove();
  });

  it('removal, close(), disabled and a new stream() abort the request: the server sees it go', async () => {
    for (const stop of ['remove', 'close', 'disabled', 'stream'] as const) {
      const { key, src } = llm('every=200');
      const el = chat(src) as SseFeedElement;
      const messages = record<RealtimeMessageEvent>(el, 'message');
      const running = el.stream({ prompt: stop });
      const outcome = running.then(
        () => 'resolved',
        (error: Error) => error.name,
      );
      await waitUntil(() => messages.length >= 1);
      if (stop === 'remove') el.remove();
      else if (stop === 'close') el.close();
      else if (stop === 'disabled') el.disabled = true;
      else void el.stream({ prompt: 'second' }).catch(() => {});
      expect(await outcome, stop).to.equal('AbortError');
      await waitUntil(
        async () => (await requestsFor(key))[0]?.closed,
        30_000,
        `${stop}: server saw it go`,
      );
      el.remove();
    }
  });

  it('pagehide in a real tab aborts the request (the server sees it go)', async () => {
    const { key, src } = llm('every=200');
    const tab = await Tab.open();
    await tab.eval(`(() => {
      const el = document.createElement('sse-feed');
      for (const [k, v] of [['once', ''], ['method', 'POST'], ['src', ${JSON.stringify(src)}]]) el.setAttribute(k, v);
      document.body.append(el);
      window.feed = el;
      window.record(el, 'message', 'error');
      el.stream({ prompt: 'leave' }).catch(() => {});
      return true;
    })()`);
    await tab.waitFor('window.log.some((e) => e.type === "message")');
    await tab.eval('(location.href = "/test/fixtures/tab.html?after", true)');
    await waitUntil(
      async () => (await requestsFor(key))[0]?.closed,
      30_000,
      'the server saw it go',
    );
    expect(await requestsFor(key)).to.have.length(1);
  });

  it('pagehide: interrupted without ids; paused then resumed by id on pageshow', async () => {
    const plain = llm('every=100');
    const el = chat(plain.src) as SseFeedElement;
    const messages = record<RealtimeMessageEvent>(el, 'message');
    const outcome = el.stream({ prompt: 'hide' }).catch((error: { code?: string }) => error.code);
    await waitUntil(() => messages.length >= 1);
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    expect(await outcome).to.equal('interrupted');
    el.remove();

    const withIds = llm('ids&every=100');
    const resumable = chat(withIds.src) as SseFeedElement;
    const received = record<RealtimeMessageEvent>(resumable, 'message');
    const running = resumable.stream({ prompt: 'back' });
    await waitUntil(() => received.length >= 2);
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    const before = received.length;
    expect(resumable.state).to.equal('paused');
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await running;
    expect(text(received)).to.equal(ANSWER('back'));
    const seen = await requestsFor(withIds.key);
    expect(seen).to.have.length(2);
    expect(seen[1].lastEventId).to.equal(String(before - 1));
    resumable.remove();
  });

  it('refresh on 401: authrefresh, then at once again with fresh headers; a second 401 is final', async () => {
    const { key, src } = llm('status=401');
    let token = 'old';
    const el = chat(src) as SseFeedElement;
    el.headers = () => ({ Authorization: `Bearer ${token}` });
    let refreshes = 0;
    el.refresh = async () => {
      refreshes++;
      token = 'new';
    };
    const log = record(el, 'authrefresh', 'error');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    await el.stream({ prompt: 'auth' });
    expect(refreshes).to.equal(1);
    expect(log.map((e) => e.type)).to.deep.equal(['authrefresh']);
    expect(text(messages)).to.equal(ANSWER('auth'));
    const seen = await requestsFor(key);
    expect(seen.map((s) => s.authorization)).to.deep.equal(['Bearer old', 'Bearer new']);
    el.remove();

    // Refused every time: one refresh, then `unauthorized`, final.
    const refused = uniqueName('refused');
    const again = chat(`/sse-test/status?key=${refused}&status=401,401,401`) as SseFeedElement;
    let calls = 0;
    again.refresh = () => void calls++;
    const codes = record<RealtimeErrorEvent>(again, 'error');
    const outcome = await again.stream({}).catch((error: { code?: string }) => error.code);
    expect(outcome).to.equal('unauthorized');
    expect(calls).to.equal(1);
    expect(codes.map((e) => e.code)).to.deep.equal(['unauthorized']);
    expect(await requestsFor(refused)).to.have.length(2);
    again.remove();
  });

  it('stream() without once, or on a removed element, rejects with InvalidStateError', async () => {
    const el = document.createElement('sse-feed');
    const detached = await el.stream().catch((error: Error) => error.name);
    expect(detached).to.equal('InvalidStateError');
    el.setAttribute('src', '/sse-test/llm');
    document.body.append(el);
    expect(await el.stream().catch((error: Error) => error.name)).to.equal('InvalidStateError');
    el.remove();
  });
});

import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { SocketRelayElement } from '../src/socket-relay.js';
import type { PollFeedElement } from '../src/poll-feed.js';
import type { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { record, uniqueName, waitUntil } from './helpers.js';

interface SeenRequest {
  method: string;
  authorization?: string | null;
}

const requestsFor = (key: string) =>
  executeServerCommand<SeenRequest[], unknown>('sse-test-requests', { key });

const feed = (src: string, attrs: Record<string, string>) => {
  const el = document.createElement('sse-feed') as SseFeedElement;
  el.setAttribute('retry-min', '20');
  el.setAttribute('retry-max', '60');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.setAttribute('src', src);
  document.body.append(el);
  return el;
};

describe('issue #24 red team: credentials', () => {
  it('a refresh that rejected once is tried again on the next stream(): not locked out until reload', async () => {
    // 401, then (the next stream) 401 again, then 200: the second stream() must call refresh.
    const key = uniqueName('locked');
    const el = feed(`/sse-test/status?key=${key}&status=401,401,200`, {
      once: '',
      method: 'POST',
      'done-data': 'hello after 3',
    });
    let calls = 0;
    el.refresh = async () => {
      calls++;
      if (calls === 1) throw new Error('the token endpoint was down');
    };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    const first = await el.stream({}).catch((error: { code?: string }) => error.code);
    expect(first).to.equal('unauthorized');
    expect(errors.map((e) => e.code)).to.deep.equal(['auth-failed', 'unauthorized']);
    const done = record(el, 'done', 'authrefresh');
    await el.stream({});
    expect(calls).to.equal(2);
    expect(done.map((e) => e.type)).to.deep.equal(['authrefresh', 'done']);
    expect(await requestsFor(key)).to.have.length(3);
    el.remove();
  });

  it('after unauthorized, reconnect() gives refresh another chance (fetch mode)', async () => {
    const key = uniqueName('relock');
    const el = feed(`/sse-test/status?key=${key}&status=401,401,401,200`, { mode: 'fetch' });
    let calls = 0;
    el.refresh = () => void calls++;
    const errors = record<RealtimeErrorEvent>(el, 'error');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    // 401, refresh, 401: final.
    await waitUntil(() => errors.some((e) => e.code === 'unauthorized'), 10_000, 'unauthorized');
    expect(calls).to.equal(1);
    el.reconnect();
    // 401 (a new refusal after the page acted: refresh once more), then 200.
    await waitUntil(() => messages.length > 0, 10_000, 'a message after reconnect()');
    expect(calls).to.equal(2);
    expect(messages[0].data).to.equal('hello after 4');
    el.remove();
  });

  it('<socket-relay>: a token already expired (expiresAt in the past), refresh rejecting once; reconnect() calls refresh again', async function () {
    this.timeout(30_000);
    const mint = async (ms: number) =>
      (await executeServerCommand<{ token: string }, unknown>('hub-token', { ms, user: 'u' }))
        .token;
    let token = await mint(-1000);
    const el = document.createElement('socket-relay') as SocketRelayElement;
    el.setAttribute('src', '/expiring/ws');
    el.setAttribute('topic', uniqueName('past'));
    el.setAttribute('retry-min', '20');
    el.setAttribute('retry-max', '60');
    el.auth = () => token;
    let calls = 0;
    el.refresh = async () => {
      calls++;
      if (calls === 1) throw new Error('the token endpoint was down');
      token = await mint(60_000);
    };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.some((e) => e.code === 'unauthorized'), 10_000, 'unauthorized');
    expect(calls).to.equal(1);
    expect(el.state).to.equal('error');
    const renewed = record(el, 'authrefresh');
    // No `unauthorized` while refresh may still renew: only its failure, then the final one.
    const before = errors.map((e) => e.code);
    expect(before).to.deep.equal(['auth-failed', 'unauthorized']);
    el.reconnect();
    // The relay is `open` at the hub's hello, before the hub refuses the auth frame (4401).
    await waitUntil(() => renewed.length === 1, 10_000, 'authrefresh after reconnect()');
    await waitUntil(() => el.state === 'open', 10_000, `open after renewal, state ${el.state}`);
    expect(calls).to.equal(2);
    expect(
      errors.map((e) => e.code),
      `${JSON.stringify(errors.map((e) => [e.code, e.message]))}`,
    ).to.deep.equal(before);
    el.remove();
  });

  it('<poll-feed>: after unauthorized (refresh rejected once), reconnect() and a disabled toggle give refresh a new turn', async () => {
    for (const recover of ['reconnect', 'disabled'] as const) {
      const key = uniqueName('poll-locked');
      const el = document.createElement('poll-feed') as PollFeedElement;
      el.setAttribute('src', `/poll-test/status?key=${key}&status=401,401,200`);
      el.setAttribute('retry-min', '20');
      el.setAttribute('retry-max', '60');
      let calls = 0;
      el.refresh = async () => {
        calls++;
        if (calls === 1) throw new Error('the token endpoint was down');
      };
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const messages = record<RealtimeMessageEvent>(el, 'message');
      document.body.append(el);
      await waitUntil(() => el.state === 'error', 10_000, `${recover}: unauthorized`);
      expect(errors.map((e) => e.code)).to.deep.equal(['auth-failed', 'unauthorized']);
      if (recover === 'reconnect') el.reconnect();
      else {
        el.disabled = true;
        await el.updateComplete;
        el.disabled = false;
      }
      await waitUntil(() => messages.length > 0, 10_000, `${recover}: a message`);
      expect(calls, recover).to.equal(2);
      expect(messages[0].data, recover).to.equal('status 200 #3');
      expect(el.state, recover).to.equal('open');
      el.remove();
    }
  });
});

describe('issue #24 red team: a refresh that never settles', () => {
  it('<poll-feed> and <sse-feed>: a refresh that never answers fails after refreshTimeout (auth-failed, then unauthorized), never connecting for ever', async () => {
    for (const tag of ['poll-feed', 'sse-feed'] as const) {
      const key = uniqueName(`${tag}-hung-refresh`);
      const el = document.createElement(tag) as PollFeedElement | SseFeedElement;
      el.setAttribute(
        'src',
        `/${tag === 'poll-feed' ? 'poll' : 'sse'}-test/status?key=${key}&status=401`,
      );
      if (tag === 'sse-feed') el.setAttribute('mode', 'fetch');
      el.refreshTimeout = 300;
      let calls = 0;
      el.refresh = () => {
        calls++;
        return new Promise(() => {});
      };
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      try {
        await waitUntil(() => el.state === 'error', 15_000, `${tag}: the final error`);
        expect(
          errors.map((e) => e.code),
          tag,
        ).to.deep.equal(['auth-failed', 'unauthorized']);
        expect(errors[0].message, tag).to.contain('300 ms');
        expect(calls, tag).to.equal(1);
      } finally {
        el.remove();
      }
    }
  });
});

describe('issue #24 red team: removed while refresh runs', () => {
  it('<poll-feed> removed while a refresh runs that then rejects: no unauthorized, state closed', async () => {
    const key = uniqueName('poll-removed');
    const el = document.createElement('poll-feed') as PollFeedElement;
    el.setAttribute('src', `/poll-test/status?key=${key}&status=401`);
    let running: Promise<void> | undefined;
    el.refresh = () =>
      (running = new Promise<void>((_, reject) =>
        setTimeout(() => reject(new Error('signed out meanwhile')), 100),
      ));
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => running !== undefined, 10_000, 'refresh called');
    el.remove();
    await running!.catch(() => {});
    // The rejection's continuations are microtasks: a task later they have all run.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(el.state).to.equal('closed');
    expect(errors.map((e) => e.code)).to.not.include('unauthorized');
  });
});

describe('issue #24 red team: concurrent refresh', () => {
  it('<socket-relay>: a refresh slower than the expiring lead is not called again while it runs (the 4440 joins it)', async function () {
    this.timeout(30_000);
    const mint = async (ms: number) =>
      (await executeServerCommand<{ token: string }, unknown>('hub-token', { ms, user: 'u' }))
        .token;
    // 2 s of life: `expiring` at ~1 s, 4440 at 2 s, while the refresh (1.5 s) still runs.
    let token = await mint(2000);
    const el = document.createElement('socket-relay') as SocketRelayElement;
    el.setAttribute('src', '/expiring/ws');
    el.setAttribute('topic', uniqueName('slow-refresh'));
    el.setAttribute('retry-min', '20');
    el.setAttribute('retry-max', '60');
    el.auth = () => token;
    let running = 0;
    let most = 0;
    let calls = 0;
    el.refresh = async () => {
      calls++;
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      token = await mint(60_000);
      running--;
    };
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => calls >= 1, 10_000, 'refresh called at expiring');
    await waitUntil(() => running === 0 && el.state === 'open', 15_000, 'renewed and open');
    // Past the old expiry: one refresh in flight at a time (a rotating refresh token used twice
    // at once signs the user out at many identity providers).
    expect(most).to.equal(1);
    expect(errors.map((e) => e.code)).to.not.include('unauthorized');
    el.remove();
  });
});

describe('issue #24 red team: one-shot streams', () => {
  const chat = (key: string, query = '') =>
    feed(`/sse-test/llm?key=${key}${query}`, {
      once: '',
      method: 'POST',
      type: 'json',
      'done-data': '[DONE]',
    });
  const answer = (messages: RealtimeMessageEvent[]) =>
    messages.map((m) => (m.data as { delta: string }).delta).join('');

  it('stream() twice in one task: the first rejects (AbortError), one answer, two POSTs, the first seen closed', async () => {
    const key = uniqueName('twice');
    const el = chat(key, '&every=20');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    const first = el.stream({ prompt: 'one' }).catch((error: Error) => error.name);
    const second = el.stream({ prompt: 'two' });
    expect(await first).to.equal('AbortError');
    await second;
    expect(answer(messages)).to.equal(
      'You asked: two. Here is a short answer in twelve words, streamed.',
    );
    const seen = await requestsFor(key);
    // The first may not have left the page (aborted before the module loaded): at most one.
    expect(seen.length).to.be.within(1, 2);
    el.remove();
  });

  it('stream() again from a done listener (the next queued prompt) runs the next request', async () => {
    const key = uniqueName('chained');
    const el = chat(key, '&every=10');
    const messages = record<RealtimeMessageEvent>(el, 'message');
    let next: Promise<void> | undefined;
    el.addEventListener('done', () => (next ??= el.stream({ prompt: 'b' })), { once: true });
    await el.stream({ prompt: 'a' });
    await waitUntil(() => next !== undefined, 5_000, 'the listener ran');
    await next;
    expect(answer(messages)).to.equal(
      'You asked: a. Here is a short answer in twelve words, streamed.' +
        'You asked: b. Here is a short answer in twelve words, streamed.',
    );
    expect(el.state).to.equal('closed');
    expect(await requestsFor(key)).to.have.length(2);
    el.remove();
  });
});

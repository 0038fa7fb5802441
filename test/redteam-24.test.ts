import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { SocketRelayElement } from '../src/socket-relay.js';
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
    el.reconnect();
    await waitUntil(() => el.state === 'open', 10_000, `open after reconnect(), state ${el.state}`);
    expect(calls).to.equal(2);
    el.remove();
  });
});

import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { record, uniqueName, waitUntil } from './helpers.js';

/**
 * "Never hang": an attempt that never settles — a server that accepts and never answers, or
 * WebKit's EventSource, which reports nothing at all for a refused port (127.0.0.1:9 stays
 * `connecting` for ever there) — is abandoned after `connect-timeout` and retried.
 */

interface SeenRequest {
  method: string;
}

const feed = (src: string, attrs: Record<string, string>) => {
  const el = document.createElement('sse-feed') as SseFeedElement;
  el.setAttribute('retry-min', '20');
  el.setAttribute('retry-max', '60');
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.setAttribute('src', src);
  return el;
};

let crossOrigin = '';
before(async () => {
  ({ origin: crossOrigin } = await executeServerCommand<{ origin: string }, unknown>(
    'sse-test-origin',
  ));
});
afterEach(() => document.querySelectorAll('sse-feed').forEach((el) => el.remove()));

describe('<sse-feed connect-timeout>', () => {
  it('defaults to 10000 ms and reads the attribute', async () => {
    const el = document.createElement('sse-feed') as SseFeedElement;
    expect(el.connectTimeout).to.equal(10_000);
    el.setAttribute('connect-timeout', '250');
    expect(el.connectTimeout).to.equal(250);
  });

  for (const mode of ['fetch', 'native'] as const) {
    it(`${mode} mode: a server that never answers is left after connect-timeout, then retried`, async () => {
      const key = uniqueName('no-answer');
      // Native mode: the second origin, an ordinary server written for EventSource.
      const base = mode === 'native' ? crossOrigin : '';
      const el = feed(`${base}/sse-test/no-answer?key=${key}`, { mode, 'connect-timeout': '400' });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      const messages = record<RealtimeMessageEvent>(el, 'message');
      document.body.append(el);
      await waitUntil(() => messages.length === 1, 20_000, 'a message after the hung attempt');
      expect(errors.map((e) => e.code)).to.deep.equal(['timeout']);
      expect(messages[0].data).to.equal('answered 2');
      expect(el.state).to.equal('open');
      const seen = await executeServerCommand<SeenRequest[], unknown>('sse-test-requests', {
        key,
      });
      expect(seen.filter((request) => request.method !== 'OPTIONS')).to.have.length(2);
    });
  }

  for (const mode of ['fetch', 'native', 'auto'] as const) {
    it(`${mode} mode: an unreachable server (127.0.0.1:9) is reported and retried`, async () => {
      const el = feed('http://127.0.0.1:9/nothing-listens-here', {
        mode,
        'connect-timeout': '500',
      });
      const errors = record<RealtimeErrorEvent>(el, 'error');
      document.body.append(el);
      await waitUntil(() => errors.length >= 2, 20_000, 'two errors');
      for (const error of errors) expect(['network', 'timeout']).to.include(error.code);
      expect(el.state).to.equal('connecting');
      expect(el.retryCount).to.be.greaterThan(0);
    });
  }

  it('connect-timeout="0" never abandons an attempt; an open stream clears the timer', async () => {
    const hung = feed(`/sse-test/no-answer?key=${uniqueName('no-answer')}`, {
      mode: 'fetch',
      'connect-timeout': '0',
    });
    const opened = feed(`/sse-test/no-answer?key=${uniqueName('no-answer')}&hang=0`, {
      mode: 'fetch',
      'connect-timeout': '300',
    });
    const errors = record<RealtimeErrorEvent>(hung, 'error');
    const openedErrors = record<RealtimeErrorEvent>(opened, 'error');
    const messages = record(opened, 'message');
    document.body.append(hung, opened);
    await waitUntil(() => messages.length === 1, 20_000, 'the second feed open');
    // Past three of the open feed's timeouts: neither may have given up its attempt. A sentinel
    // (a third feed, armed later and longer, whose own timeout must fire) shows the timers had
    // their chance.
    const sentinel = feed(`/sse-test/no-answer?key=${uniqueName('no-answer')}&hang=9`, {
      mode: 'fetch',
      'connect-timeout': '900',
    });
    const sentinelErrors = record<RealtimeErrorEvent>(sentinel, 'error');
    document.body.append(sentinel);
    await waitUntil(() => sentinelErrors.length === 1, 20_000, 'the sentinel timing out');
    expect(sentinelErrors[0].code).to.equal('timeout');
    // Code and message, so a failure says which (CI saw one error on the hung feed, at load 12).
    const said = (list: RealtimeErrorEvent[]) => list.map((e) => `${e.code}: ${e.message}`);
    expect(said(errors)).to.deep.equal([]);
    expect(said(openedErrors)).to.deep.equal([]);
    expect(hung.state).to.equal('connecting');
    expect(opened.state).to.equal('open');
  });
});

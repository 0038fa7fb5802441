// Red team of `<sse-feed mode="native">`'s replay filter: a server that reads only the
// Last-Event-ID header (so every new EventSource gets the whole stream again), cuts at random
// points of a replay, `retry:` values that make EventSource's own reconnects fast (and the
// element replace it), and 503s that make it give up in the middle of a replay. Peer reports:
// athrvk/vayu#21 (a fresh EventSource replays the entire retained topic), r3labs/sse#61 (a
// restarted client gets every earlier event again), EventSource/eventsource#27 (reconnects
// sent a stale Last-Event-ID).
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sse-feed-define.js';
import type { SseFeedElement } from '../src/sse-feed.js';
import type { RealtimeMessageEvent } from '../src/index.js';
import { record, uniqueName, waitUntil, faultRun } from './helpers.js';

afterEach(() => document.querySelectorAll('sse-feed').forEach((el) => el.remove()));

describe(faultRun('<sse-feed mode="native"> against a replaying server, seeded'), () => {
  const base = Date.now() % 100_000;
  for (let seed = base; seed < base + 4; seed++) {
    it(`seed ${seed}: every event once, in order, through cuts, fast retries and 503s`, async function () {
      this.timeout(60_000);
      const count = 20;
      const el = document.createElement('sse-feed') as SseFeedElement;
      el.mode = 'native';
      el.retryMin = 20;
      el.retryMax = 60;
      el.maxRetries = 1000;
      const key = uniqueName('chaos');
      el.src = `/sse-test/replay-chaos?key=${key}&seed=${seed}&count=${count}`;
      const messages = record<RealtimeMessageEvent>(el, 'message');
      document.body.append(el);
      const ids = () => messages.map((e) => e.lastEventId).join();
      await waitUntil(
        () => messages.some((e) => e.lastEventId === String(count)),
        45_000,
        `seed ${seed}: event ${count} (so far ${ids()})`,
      );
      const seen = await executeServerCommand<{ lastEventId: string | null }[], unknown>(
        'sse-test-requests',
        { key },
      );
      // How many new EventSources (no header: the whole stream again) the seed made.
      const fresh = seen.filter((request) => request.lastEventId === null).length;
      expect(ids(), `seed ${seed} (${seen.length} requests, ${fresh} without the header)`).to.equal(
        Array.from({ length: count }, (_, i) => i + 1).join(),
      );
    });
  }
});

import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import { Tab, closeAllTabs, uniqueName, waitUntil, faultRun } from './helpers.js';

/**
 * The wall clock steps (NTP, a resume from sleep, a user fixing the time) both ways: no
 * delivery, ordering, leadership or liveness decision may follow it (ARCHITECTURE.md, Delivery
 * guarantees). Each tab here has the one allowed stand-in: `Date`/`Date.now` replaced before the
 * page's scripts run, stepped with `tab.stepClock(ms)`.
 */

/** Steps both ways, as far as a day; each seeded run may order them differently. */
const seed = Number(new URLSearchParams(location.search).get('seed') ?? Date.now() % 100_000);
const steps = [-30_000, 30_000, -3_600_000, 86_400_000, -86_400_000, 5_000];
function shuffled<T>(items: T[], s: number): T[] {
  const out = [...items];
  let state = s || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 48271) % 2147483647;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function clockTab(): Promise<Tab> {
  return Tab.open('/test/fixtures/tab.html', 'window.tabReady === true', { steppableClock: true });
}

/** Waits `ms` of the tab's monotonic time (timers are not affected by a wall-clock step). */
const idle = (tab: Tab, ms: number) =>
  tab.eval(`new Promise((resolve) => setTimeout(() => resolve(true), ${ms}))`);

describe(faultRun('clock steps (Date / Date.now stepped in real tabs)'), function () {
  this.timeout(60_000);
  afterEach(() => closeAllTabs());

  it('the stand-in steps Date both ways and leaves performance.now alone', async () => {
    const tab = await clockTab();
    const before = await tab.eval<[number, number]>('[Date.now(), performance.now()]');
    await tab.stepClock(-30_000);
    const after = await tab.eval<[number, number, number, string]>(
      '[Date.now(), performance.now(), new Date().getTime(), typeof Date()]',
    );
    expect(after[0] - before[0]).to.be.lessThan(-25_000);
    expect(after[1]).to.be.greaterThanOrEqual(before[1]);
    expect(Math.abs(after[2] - after[0])).to.be.lessThan(1000);
    expect(after[3]).to.equal('string');
  });

  it(`<tab-channel elect>: the lease holds through steps both ways; messages still arrive (seed ${seed})`, async () => {
    const name = uniqueName('clock-elect');
    const tabs = [await clockTab(), await clockTab()];
    for (const tab of tabs) {
      await tab.eval(`(() => {
        const holder = document.createElement('div');
        holder.innerHTML = '<tab-channel elect name="${name}"></tab-channel>';
        window.el = window.record(holder.firstElementChild, 'leaderchange', 'message', 'error');
        document.body.append(window.el);
        return true;
      })()`);
    }
    const leaders = async () => {
      const flags = await Promise.all(tabs.map((tab) => tab.eval<boolean>('window.el.leader')));
      return tabs.filter((_, i) => flags[i]);
    };
    await waitUntil(async () => (await leaders()).length === 1, 15_000, 'one leader');
    const [leader] = await leaders();
    const follower = tabs.find((tab) => tab !== leader)!;
    for (const step of shuffled(steps, seed)) {
      // Both tabs step, then only one of them (their clocks now disagree by a day or more).
      await Promise.all(tabs.map((tab) => tab.stepClock(step)));
      await follower.stepClock(step > 0 ? -step : step);
      // Longer than the lease (1 s) plus the followers' patience: a lease judged by the wall
      // clock would have expired (forwards) or never expire (backwards) by now.
      await idle(follower, 1500);
    }
    expect(await leaders()).to.deep.equal([leader]);
    expect(await leader.eval(`window.log.map((e) => e.type)`)).to.deep.equal(['leaderchange']);
    // Every member hears of the leader once (leaderchange fires in followers too since 0.3).
    expect(await follower.eval(`window.log.map((e) => e.type)`)).to.deep.equal(['leaderchange']);

    await follower.eval(`[1, 2, 3, 4, 5].forEach((n) => window.el.post(n)), true`);
    expect(
      await leader.waitFor(`(() => {
        const data = window.log.filter((e) => e.type === 'message').map((e) => e.data);
        return data.length === 5 && data;
      })()`),
    ).to.deep.equal([1, 2, 3, 4, 5]);

    // The lease still hands over when the leader really goes.
    await leader.close();
    await follower.waitFor('window.el.leader', 15_000);
  });

  for (const step of [-3_600_000, 3_600_000]) {
    it(`a Retry-After date waits what the server asked with the clock ${step < 0 ? 'an hour behind' : 'an hour ahead'}`, async () => {
      const key = uniqueName('clock-retry-after');
      const tab = await clockTab();
      await tab.stepClock(step);
      // Two seconds after the server's own Date (HTTP dates have whole seconds: 1–3 s).
      const until = new Date(Date.now() + 2000).toUTCString();
      const src = `/poll-test/status?key=${key}&status=503,200&retry-after=${encodeURIComponent(until)}`;
      await tab.eval(`(() => {
        const el = document.createElement('poll-feed');
        el.setAttribute('src', ${JSON.stringify(src)});
        el.setAttribute('interval', '60000');
        el.setAttribute('retry-min', '10');
        window.record(el, 'message', 'error');
        document.body.append(el);
        return true;
      })()`);
      // Behind: a wait measured on the client's clock would last an hour.
      await tab.waitFor(`window.log.some((e) => e.type === 'message')`, 30_000);
      const { log } = await executeServerCommand<{ log: { at: number }[] }, unknown>(
        'poll-requests',
        { key },
      );
      // Ahead: it would not wait at all.
      expect(log[1].at - log[0].at).to.be.at.least(900);
    });
  }

  describe('<socket-relay> heartbeat', () => {
    const connections = async (key: string) =>
      (await executeServerCommand<{ count: number }, unknown>('ws-test-connections', { key }))
        .count;
    /**
     * A raw relay with a fast heartbeat; its clock steps by `step` the moment it opens. `timeout`
     * is the heartbeat timeout, ms.
     */
    const relayIn = (tab: Tab, src: string, step: number, timeout = 300) =>
      tab.eval(`(() => {
        const el = document.createElement('socket-relay');
        for (const [name, value] of Object.entries({
          src: ${JSON.stringify(src)}, raw: '', 'ping-message': 'ping',
          'heartbeat-interval': '200', 'heartbeat-timeout': '${timeout}',
          'retry-min': '10', 'retry-max': '50',
        })) el.setAttribute(name, value);
        window.record(el, 'error', 'close', 'open');
        el.addEventListener('open', () => window.stepClock(${step}), { once: true });
        document.body.append(el);
        window.el = el;
        return true;
      })()`);

    it('a clock stepped forwards does not kill a live connection', async () => {
      const key = uniqueName('clock-live');
      const tab = await clockTab();
      // A pong may take longer than 300 ms on a loaded machine: a 5 s timeout, still far below
      // the hour a wall-clock check would count after the step.
      await relayIn(tab, `/ws-test/echo?key=${key}`, 3_600_000, 5000);
      await tab.waitFor(`window.log.some((e) => e.type === 'open')`);
      // Several heartbeat rounds (each 200 ms + pong) on the echo server.
      await idle(tab, 1500);
      expect(await tab.eval(`window.log.map((e) => e.code ?? e.type)`)).to.deep.equal(['open']);
      expect(await connections(key)).to.equal(1);
    });

    it('a clock stepped backwards still finds a dead connection within the timeout', async () => {
      const key = uniqueName('clock-dead');
      const tab = await clockTab();
      await relayIn(tab, `/ws-test/silent?key=${key}`, -3_600_000);
      // interval + timeout = 500 ms; a wall-clock check would wait an hour.
      await tab.waitFor(`window.log.some((e) => e.code === 'heartbeat-timeout')`, 15_000);
      await waitUntil(async () => (await connections(key)) >= 2, 15_000, 'a new socket');
    });
  });
});

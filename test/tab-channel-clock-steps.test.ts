import { expect } from '@open-wc/testing';
import { Tab, closeAllTabs, uniqueName } from './helpers.js';

/**
 * Issue #20, input 1, tried again on each fallback transport (the fix lives in
 * src/transports/*, owned by another change: this file only states the fault). Two tabs on
 * `<tab-channel transport="…">`; the wall clock steps in both (NTP, a resume from sleep);
 * B posts 5 and A must receive all 5, in order.
 */
const clockTab = () =>
  Tab.open('/test/fixtures/tab.html', 'window.tabReady === true', { steppableClock: true });

const channelIn = (tab: Tab, name: string, transport: string) =>
  tab.eval(`(async () => {
    const el = document.createElement('tab-channel');
    el.name = ${JSON.stringify(name)};
    el.transport = ${JSON.stringify(transport)};
    window.record(el, 'message', 'error');
    document.body.append(el);
    while (el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
    window.channel = el;
    return true;
  })()`);

describe('<tab-channel> fallback transports when the wall clock steps', function () {
  this.timeout(60_000);
  afterEach(() => closeAllTabs());

  for (const transport of ['idb', 'storage', 'cookie']) {
    for (const step of [-30_000, 30_000, -3_600_000]) {
      it(`${transport}: 5 posts arrive after both clocks step ${step / 1000} s`, async () => {
        const name = uniqueName(`clock-${transport}`);
        const a = await clockTab();
        const b = await clockTab();
        await channelIn(a, name, transport);
        await channelIn(b, name, transport);
        await a.stepClock(step);
        await b.stepClock(step);
        await b.eval(
          `(() => { for (let i = 0; i < 5; i++) window.channel.post(i); return true; })()`,
        );
        const log = await a.waitFor<{ type: string; data: unknown }[]>(
          'window.log.filter((e) => e.type === "message").length >= 5 && window.log',
          10_000,
        );
        expect(log.filter((e) => e.type === 'message').map((e) => e.data)).to.deep.equal([
          0, 1, 2, 3, 4,
        ]);
      });
    }
  }
});

import { expect } from '@open-wc/testing';
import { ReactiveElement } from '@lit/reactive-element';
import { ReconnectController, backoffDelay } from '../src/internal/reconnect-controller.js';
import { Tab, closeAllTabs, sleep, waitUntil } from './helpers.js';

class ReconnectHost extends ReactiveElement {
  connects = 0;
  reconnect = new ReconnectController(this, () => this.connects++);
}
customElements.define('reconnect-host', ReconnectHost);

function mount(): ReconnectHost {
  const host = document.createElement('reconnect-host') as ReconnectHost;
  document.body.append(host);
  Object.assign(host.reconnect.policy, { retryMin: 10, retryMax: 80, stableAfter: 50 });
  return host;
}

describe('backoffDelay', () => {
  const policy = { retryMin: 100, retryMax: 1000 };

  it('doubles the ceiling per attempt up to retryMax', () => {
    const ceilings = [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, policy, 0, () => 1));
    expect(ceilings).to.deep.equal([200, 400, 800, 1000, 1000, 1000]);
  });

  it('spreads even the first retry over [retryMin, 2 × retryMin] (no herd after a restart)', () => {
    // 30 clients dropped at once (the input: all were back within 10 ms).
    const first = Array.from({ length: 30 }, () =>
      backoffDelay(0, { retryMin: 1000, retryMax: 30_000 }),
    );
    for (const delay of first) expect(delay).to.be.within(1000, 2000);
    expect(Math.max(...first) - Math.min(...first)).to.be.greaterThan(300);
    expect(backoffDelay(0, { retryMin: 1000, retryMax: 1500 }, 0, () => 1)).to.equal(1500);
  });

  it('never goes below retryMin (full jitter in [retryMin, ceiling])', () => {
    expect(backoffDelay(5, policy, 0, () => 0)).to.equal(100);
    expect(backoffDelay(2, policy, 0, () => 0.5)).to.equal(450);
  });

  it('draws fresh jitter for every attempt', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, policy)));
    expect(delays.size).to.be.greaterThan(25);
    for (const delay of delays) expect(delay).to.be.within(100, 1000);
  });

  it('respects a server floor, even above retryMax', () => {
    expect(backoffDelay(0, policy, 300, () => 0)).to.equal(300);
    expect(backoffDelay(9, policy, 5000, () => 1)).to.equal(5000);
  });

  it('treats a retryMax below retryMin as retryMin', () => {
    expect(backoffDelay(3, { retryMin: 500, retryMax: 10 }, 0, () => 1)).to.equal(500);
  });
});

describe('ReconnectController', () => {
  afterEach(async () => {
    await closeAllTabs();
    document.querySelectorAll('reconnect-host').forEach((host) => host.remove());
  });

  it('calls connect after the backoff delay and counts attempts', async () => {
    const host = mount();
    host.reconnect.random = () => 0;
    expect(host.reconnect.failed()).to.equal(10);
    expect(host.reconnect.pending).to.equal(true);
    await waitUntil(() => host.connects === 1);
    expect(host.reconnect.attempt).to.equal(1);
    expect(host.reconnect.failed()).to.equal(10);
    host.reconnect.random = () => 1;
    expect(host.reconnect.failed()).to.equal(80);
  });

  it('gives up after maxRetries', async () => {
    const host = mount();
    host.reconnect.policy.maxRetries = 2;
    expect(host.reconnect.failed()).to.be.at.least(10);
    expect(host.reconnect.failed()).to.be.at.least(10);
    expect(host.reconnect.failed()).to.equal(-1);
    expect(host.reconnect.pending).to.equal(false);
  });

  it('honours the server floor and a per-failure Retry-After', () => {
    const host = mount();
    host.reconnect.random = () => 0;
    host.reconnect.serverFloor = 60;
    expect(host.reconnect.failed()).to.equal(60);
    expect(host.reconnect.failed(200)).to.equal(200);
    host.reconnect.cancel();
  });

  it('resets the attempt count after a stable period, not before', async () => {
    const host = mount();
    host.reconnect.attempt = 4;
    host.reconnect.opened();
    await sleep(10);
    expect(host.reconnect.attempt).to.equal(4);
    await waitUntil(() => host.reconnect.attempt === 0, 15_000, 'reset');
  });

  it('a drop before the stable period keeps the count growing', async () => {
    const host = mount();
    host.reconnect.attempt = 3;
    host.reconnect.opened();
    host.reconnect.failed();
    await sleep(80);
    expect(host.reconnect.attempt).to.equal(4);
  });

  // Offline emulation cuts the test page's own link to the runner, so these run in a second tab.
  it('makes no attempt while offline and one at once on online', async () => {
    const tab = await Tab.open();
    await tab.eval(`(async () => {
      const { ReconnectController } = await import('/src/internal/reconnect-controller.ts');
      window.connects = 0;
      window.controller = new ReconnectController({ addController() {} }, () => window.connects++);
      window.controller.hostConnected();
      Object.assign(window.controller.policy, { retryMin: 10, retryMax: 10 });
      return true;
    })()`);
    await tab.setOffline(true);
    // The tab learns it is offline by its own message from the browser: waited for, not assumed.
    expect(await tab.waitFor('navigator.onLine === false')).to.equal(true);
    await tab.eval('window.controller.failed(), true');
    await sleep(100);
    expect(await tab.eval('window.connects')).to.equal(0);
    expect(await tab.eval('window.controller.pending')).to.equal(true);
    await tab.eval(
      'window.controller.policy.retryMin = window.controller.policy.retryMax = 60000, true',
    );
    await tab.setOffline(false);
    expect(await tab.waitFor('window.connects === 1', 15_000)).to.equal(true);
    expect(await tab.eval('window.controller.pending')).to.equal(false);

    await tab.setOffline(true);
    await tab.setOffline(false);
    await sleep(20);
    expect(await tab.eval('window.connects')).to.equal(1);
  });

  it('cancels everything and stops listening when the host disconnects', async () => {
    const host = mount();
    host.reconnect.failed();
    host.remove();
    expect(host.reconnect.pending).to.equal(false);
    await sleep(100);
    expect(host.connects).to.equal(0);
  });
});

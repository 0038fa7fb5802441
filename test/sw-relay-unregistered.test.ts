import { expect, fixture, html } from '@open-wc/testing';
import '../src/sw-relay-define.js';
import { RelayRequestError, SwRelayElement } from '../src/sw-relay.js';
import { RealtimeErrorEvent } from '../src/index.js';
import { Tab, closeAllTabs, record, uniqueName, waitUntil } from './helpers.js';

const relayIn = (tab: Tab, name: string, src = '/sw-test/worker.js') =>
  tab.eval(`(async () => {
    const el = document.createElement('sw-relay');
    el.setAttribute('name', ${JSON.stringify(name)});
    el.setAttribute('src', ${JSON.stringify(src)});
    window.log = [];
    el.addEventListener('message', (e) => window.log.push(e.data));
    document.body.append(el);
    while (el.state !== 'open') await new Promise((r) => setTimeout(r, 10));
    window.relay = el;
    return true;
  })()`);

describe('<sw-relay> when the worker goes', () => {
  afterEach(async () => {
    document.querySelectorAll('sw-relay').forEach((el) => el.remove());
    await closeAllTabs();
    for (const registration of await navigator.serviceWorker.getRegistrations())
      await registration.unregister();
  });

  // w3c/ServiceWorker #1687, "clear site data" and kill-switch workers: the registration is
  // unregistered while pages use it. Its active worker lives on until its clients go; the
  // relay keeps working, and a tab loaded afterwards registers afresh and still reaches it.
  it('keeps relaying after its registration is unregistered, also with a tab loaded after', async () => {
    const name = uniqueName('unregistered');
    const el = await fixture<SwRelayElement>(
      html`<sw-relay src="/sw-test/worker.js" name=${name}></sw-relay>`,
    );
    await waitUntil(() => el.state === 'open', 10_000, 'open');
    const first = await Tab.open('/sw-test/tab.html');
    await relayIn(first, name);
    expect(await el.serviceWorkerRegistration!.unregister()).to.equal(true);
    el.post('after unregister');
    expect(await first.waitFor('window.log.length && window.log')).to.deep.equal([
      'after unregister',
    ]);
    expect(await el.request('count', { timeout: 15_000 })).to.have.property('clients');
    const later = await Tab.open('/sw-test/tab.html');
    await relayIn(later, name);
    const heard = record(el, 'message');
    await later.eval(`window.relay.post('from the later tab'), true`);
    await waitUntil(() => heard.length === 1, 10_000, 'message from the later tab');
    el.post('to the later tab');
    expect(await later.waitFor('window.log.length && window.log')).to.deep.equal([
      'to the later tab',
    ]);
  });

  // The same fault as a popup request that rejected and was still sent: a request the caller saw
  // time out while the worker was not yet active must not be handled afterwards.
  it('a request that timed out while queued never reaches the worker', async () => {
    const seen = document.createElement('sw-relay');
    seen.name = 'requests-seen';
    const witnessed = record<MessageEvent>(seen, 'message');
    const el = document.createElement('sw-relay');
    el.name = uniqueName('late');
    el.src = seen.src = '/sw-test/witness-worker.js';
    document.body.append(el, seen);
    // Queued: no worker is active yet on a first load.
    const timedOut = await el
      .request('too late', { timeout: 1 })
      .catch((error: RelayRequestError) => error.code);
    expect(timedOut).to.equal('timeout');
    await waitUntil(() => el.state === 'open', 10_000, 'open');
    expect(await el.request('sentinel')).to.equal('sentinel');
    await waitUntil(
      () => witnessed.some((e) => e.data === 'sentinel'),
      15_000,
      'the sentinel seen',
    );
    expect(witnessed.map((e) => e.data)).to.deep.equal(['sentinel']);
  });

  it('the error of a failed registration stays readable until a fixed src opens', async () => {
    const el = document.createElement('sw-relay');
    el.name = uniqueName('fixed');
    el.src = '/sw-test/missing.js';
    document.body.append(el);
    await waitUntil(() => el.state === 'error', 10_000, 'register-failed');
    expect((el.error as RealtimeErrorEvent).code).to.equal('register-failed');
    el.src = '/sw-test/worker.js';
    await waitUntil(() => el.state === 'open', 10_000, 'open');
    expect(el.error).to.equal(null);
  });
});

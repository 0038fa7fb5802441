import { expect, fixture, html } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sw-relay-define.js';
import { RelayRequestError, SwRelayElement } from '../src/sw-relay.js';
import { RealtimeErrorEvent } from '../src/index.js';
import { Tab, record, sleep, uniqueName, waitUntil } from './helpers.js';
import { cleanUp, relayIn } from './sw-relay-helpers.js';

describe('<sw-relay> when the worker goes', () => {
  afterEach(cleanUp);

  // w3c/ServiceWorker #1687, "clear site data" and kill-switch workers: the registration is
  // unregistered while pages use it. Its active worker lives on until its clients go; the
  // relay keeps working, and a tab loaded afterwards registers afresh and still reaches it.
  it('keeps relaying after its registration is unregistered, also with a tab loaded after', async () => {
    const name = uniqueName('unregistered');
    const el = await fixture<SwRelayElement>(
      html`<sw-relay src="/sw-test/worker.js" name=${name}></sw-relay>`,
    );
    await waitUntil(() => el.state === 'open', 30_000, 'open');
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
    await waitUntil(() => heard.length === 1, 30_000, 'message from the later tab');
    el.post('to the later tab');
    expect(await later.waitFor('window.log.length && window.log')).to.deep.equal([
      'to the later tab',
    ]);
  });

  // The kind behind the test above (it lost 'to the later tab' in WebKit, CI of stops 32 and 33):
  // a post handed to a worker in the moment it is terminated (its registration unregistered and
  // its last client claimed by a new one) is dropped by the browser with no error. Posts every
  // 2 ms across that moment: each arrives once, in order — the sender keeps what the worker has
  // not acknowledged and hands it to the next worker, the receiver drops what it already had.
  it('posts made while the unregistered worker is terminated arrive once each, in order', async () => {
    const name = uniqueName('handover');
    const el = await fixture<SwRelayElement<number>>(
      html`<sw-relay src="/sw-test/worker.js" name=${name}></sw-relay>`,
    );
    await waitUntil(() => el.state === 'open', 30_000, 'open');
    const before = el.serviceWorkerRegistration;
    const first = await Tab.open('/sw-test/tab.html');
    await relayIn(first, name);
    expect(await before!.unregister()).to.equal(true);
    let n = 0;
    const posting = setInterval(() => el.post(++n), 2);
    try {
      // A tab loaded now registers afresh; its worker claims `first`: the old one is terminated.
      const later = await Tab.open('/sw-test/tab.html');
      await relayIn(later, name);
      // The old worker goes when its registration is cleared: in WebKit at once, in Chromium and
      // Firefox when this page lets it go (it may outlive the test). 100 more posts either way.
      const until = n + 100;
      await waitUntil(() => n >= until, 15_000, '100 more posts');
    } finally {
      clearInterval(posting);
    }
    const sent = Array.from({ length: n }, (_, i) => i + 1);
    const log = await first
      .waitFor<number[]>(`window.log.length >= ${n} && window.log`, 30_000)
      .catch(async () => first.eval<number[]>('window.log'));
    expect(
      log.filter((value, i) => value !== i + 1).slice(0, 10),
      `${log.length} of ${n}`,
    ).to.deep.equal([]);
    expect(log).to.deep.equal(sent);
  });

  // The other half of that promise: a post the old worker relayed but did not acknowledge (here
  // it acknowledges only its first, as if terminated after relaying the others) is handed to the
  // new one too, and the pages that already had it drop it.
  it('posts handed to the next worker after the old one relayed them are delivered once', async () => {
    const name = uniqueName('repeats');
    const el = await fixture<SwRelayElement<number>>(
      html`<sw-relay src="/sw-test/ack-first-worker.js" name=${name}></sw-relay>`,
    );
    await waitUntil(() => el.state === 'open', 30_000, 'open');
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name, '/sw-test/ack-first-worker.js');
    for (const n of [1, 2, 3]) el.post(n);
    await tab.waitFor('window.log.length === 3');
    const before = el.serviceWorkerRegistration!.active;
    await executeServerCommand('sw-bump');
    const updates = record(el, 'update');
    await el.serviceWorkerRegistration!.update();
    await waitUntil(() => updates.length === 1, 30_000, 'update event');
    el.skipWaiting();
    await waitUntil(
      () => el.serviceWorkerRegistration!.active !== before && el.state === 'open',
      30_000,
      'the new worker active',
    );
    el.post(4); // 1–3 go to the new worker again first
    const log = await tab.waitFor<number[]>('window.log.includes(4) && window.log');
    // A sentinel from another sender: a repeat of 1–3 would have come before it.
    const heard = record(el, 'message');
    await tab.eval(`window.relay.post('sentinel'), true`);
    await waitUntil(() => heard.length === 1, 15_000, 'the sentinel');
    el.post(5);
    expect(await tab.waitFor<number[]>('window.log.includes(5) && window.log')).to.deep.equal([
      1, 2, 3, 4, 5,
    ]);
    expect(log).to.deep.equal([1, 2, 3, 4]);
  });

  /**
   * A relay here and one in a tab, open, on `src` (default: a worker that drops the first copy
   * of "drop…" posts).
   */
  async function openRelays(prefix: string, src = '/sw-test/drop-once-worker.js') {
    const name = uniqueName(prefix);
    const el = await fixture<SwRelayElement<string>>(
      html`<sw-relay src=${src} name=${name}></sw-relay>`,
    );
    await waitUntil(() => el.state === 'open', 30_000, 'open');
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name, src);
    return { el, tab, errors: record(el, 'error') };
  }

  // The kind behind the CI failure of stop 34 (WebKit: the 2nd test above lost every post after
  // the 134th, with nothing in the page to say the worker was gone): a post its worker never
  // acknowledges is not given up on. The worker here drops the first copy of two posts, the
  // last ones made (nothing newer comes to say anything is missing); the relay sends them
  // again, in order, and nothing arrives twice.
  it('posts the worker drops without a word are sent again, in order, once each', async () => {
    const { el, tab, errors } = await openRelays('dropped');
    el.post('kept 1');
    el.post('drop 2');
    el.post('drop 3');
    expect(await tab.waitFor('window.log.length >= 3 && window.log', 30_000)).to.deep.equal([
      'kept 1',
      'drop 2',
      'drop 3',
    ]);
    el.post('kept 4');
    await tab.waitFor('window.log.length >= 4');
    // A sentinel from the tab: a late repeat of 2 or 3 would have reached the tab before it.
    const heard = record(el, 'message');
    await tab.eval(`window.relay.post('sentinel'), true`);
    await waitUntil(() => heard.length === 1, 30_000, 'the sentinel');
    el.post('kept 5');
    expect(await tab.waitFor('window.log.length >= 5 && window.log')).to.deep.equal([
      'kept 1',
      'drop 2',
      'drop 3',
      'kept 4',
      'kept 5',
    ]);
    expect(errors).to.deep.equal([]);
  });

  // Red team 13: the same, but a newer post reaches the tabs before the one sent again (the
  // browser stopped the worker as it got "drop 2", and "kept 3" started it again). The tabs
  // deliver it late, not drop it as a repeat of a number they have passed.
  it('a post the worker dropped is delivered late when newer ones came first, once', async () => {
    const { el, tab, errors } = await openRelays('late');
    el.post('kept 1');
    el.post('drop 2');
    el.post('kept 3');
    expect(await tab.waitFor('window.log.length >= 3 && window.log', 30_000)).to.deep.equal([
      'kept 1',
      'kept 3',
      'drop 2',
    ]);
    const heard = record(el, 'message');
    await tab.eval(`window.relay.post('sentinel'), true`);
    await waitUntil(() => heard.length === 1, 30_000, 'the sentinel');
    el.post('kept 4');
    expect(await tab.waitFor('window.log.length >= 4 && window.log')).to.deep.equal([
      'kept 1',
      'kept 3',
      'drop 2',
      'kept 4',
    ]);
    expect(errors).to.deep.equal([]);
  });

  // Red team 13, input 5: the same for a relay removed right after its post (a "goodbye" as a
  // component unmounts): it follows the post, and sends it again when not acknowledged.
  it('a removed relay sends again the post its worker dropped', async () => {
    const { el, tab } = await openRelays('removed-dropped');
    el.post('drop bye');
    el.remove();
    expect(await tab.waitFor('window.log.length >= 1 && window.log', 30_000)).to.deep.equal([
      'drop bye',
    ]);
  });

  // Red team 12, input 4 (and 13's 7): a post sent again carries when it was made, and a tab
  // opened after that drops it. Taken from the wall clock, a sender whose clock stepped back an
  // hour (NTP, a resume from sleep) made its posts look older than every tab: all dropped. Now
  // from its monotonic clock.
  it('a post sent again by a tab whose wall clock stepped back is delivered', async () => {
    const name = uniqueName('stepped');
    const src = '/sw-test/drop-once-worker.js';
    const el = await fixture<SwRelayElement<string>>(
      html`<sw-relay src=${src} name=${name}></sw-relay>`,
    );
    await waitUntil(() => el.state === 'open', 30_000, 'open');
    const got = record<MessageEvent<string>>(el, 'message');
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name, src);
    // The tab's wall clock steps back an hour (this page has no steppable-clock script in
    // WebKit's tabs: `Date.now` is stepped by hand, as the tabs plugin's script does).
    await tab.eval(
      `(() => { const now = Date.now; Date.now = () => now() - 3_600_000; return true })()`,
    );
    await tab.eval(`window.relay.post('drop stepped'), true`);
    await waitUntil(() => got.length === 1, 30_000, 'the post sent again');
    expect(got.map((event) => event.data)).to.deep.equal(['drop stepped']);
  });

  // Red team 13, input 4: a worker alive but slow to acknowledge (over the relay's 4 s) gets
  // the posts again. It acknowledges them again and neither relays nor keeps a second copy (two
  // would push other posts out of what it keeps for pages back from the back/forward cache).
  it('posts sent again to a worker slow to acknowledge are relayed once', async () => {
    const { el, tab, errors } = await openRelays('slow-ack', '/sw-test/slow-ack-worker.js');
    el.post('a');
    el.post('b');
    await tab.waitFor('window.log.length >= 2');
    // Sent again at 4 s, acknowledged at 6 s (each copy): the counts settle by 8 s.
    await sleep(8000);
    expect(await el.request('count', { timeout: 15_000 })).to.deep.equal({ 1: 1, 2: 1 });
    expect(await tab.eval('window.log')).to.deep.equal(['a', 'b']);
    expect(errors).to.deep.equal([]);
  });

  // A removed relay's queued posts go to its registration's worker (red team 10), but a removed
  // relay never registers one: a registration the page has dropped stays dropped (a clean-clone
  // run showed the old way re-registering the worker after a test had unregistered it).
  it('a removed relay whose registration is gone reports its queued posts lost and registers nothing', async () => {
    const el = document.createElement('sw-relay');
    el.name = uniqueName('gone');
    el.src = '/sw-test/worker.js';
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    expect(el.post('never sent'), 'accepted (queued)').to.equal(true);
    el.remove();
    await waitUntil(() => errors.length === 1, 15_000, 'message-lost');
    expect(errors[0].code).to.equal('message-lost');
    expect(await navigator.serviceWorker.getRegistrations()).to.have.length(0);
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
    await waitUntil(() => el.state === 'open', 30_000, 'open');
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
    await waitUntil(() => el.state === 'error', 30_000, 'register-failed');
    expect((el.error as RealtimeErrorEvent).code).to.equal('register-failed');
    el.src = '/sw-test/worker.js';
    await waitUntil(() => el.state === 'open', 30_000, 'open');
    expect(el.error).to.equal(null);
  });
});

import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/sw-relay-define.js';
import { RelayRequestError, SwRelayElement } from '../src/sw-relay.js';
import { RealtimeErrorEvent, RealtimeMessageEvent } from '../src/index.js';
import { Tab, record, sleep, uniqueName, waitUntil, runInOpaqueFrame } from './helpers.js';
import { cleanUp, relayIn } from './sw-relay-helpers.js';

const opened = async (el: SwRelayElement) => {
  await waitUntil(() => el.state === 'open', 30_000, 'an active worker');
  return el;
};

describe('<sw-relay>', () => {
  afterEach(cleanUp);

  it('registers the worker on a first load and relays to another tab, not back to the sender', async () => {
    expect(await navigator.serviceWorker.getRegistrations()).to.have.length(0);
    const name = uniqueName('first');
    const el = await fixture<SwRelayElement>(
      html`<sw-relay src="/sw-test/worker.js" name=${name}></sw-relay>`,
    );
    expect(el).to.be.instanceOf(SwRelayElement);
    await opened(el);
    const mine = record(el, 'message');
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name);
    el.post({ hello: 'tab' });
    expect(await tab.waitFor('window.log.length && window.log')).to.deep.equal([{ hello: 'tab' }]);
    const received = oneEvent(el, 'message') as Promise<RealtimeMessageEvent>;
    await tab.eval(`window.relay.post('back'), true`);
    const event = await received;
    expect([
      event.data,
      (event as unknown as { sender: string }).sender,
      event.bubbles,
    ]).to.deep.equal(['back', await tab.eval('window.relay.senderId'), false]);
    await sleep(100);
    expect(mine).to.have.length(1);
  });

  it('filters by channel; same-page elements of a channel hear each other; echo', async () => {
    const [name, other] = [uniqueName('a'), uniqueName('b')];
    const a = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name=${name}></sw-relay>`,
      ),
    );
    const b = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name=${name} echo></sw-relay>`,
      ),
    );
    const c = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name=${other}></sw-relay>`,
      ),
    );
    const [atA, atB, atC] = [record(a, 'message'), record(b, 'message'), record(c, 'message')];
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, other);
    b.post('from b');
    await waitUntil(() => atA.length === 1 && atB.length === 1);
    // A sentinel on the other channel, relayed by the same worker after 'from b': once the tab
    // has it, a wrongly relayed 'from b' would have come before it.
    c.post('sentinel');
    expect(await tab.waitFor(`window.log.includes('sentinel') && window.log`)).to.deep.equal([
      'sentinel',
    ]);
    expect(atC).to.have.length(0);
  });

  it("request() gets the worker's answer; a worker that never answers times out", async () => {
    const el = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name="req"></sw-relay>`,
      ),
    );
    const answer = (await el.request('how many?')) as { clients: number };
    expect(answer.clients).to.be.at.least(1);
    for (const registration of await navigator.serviceWorker.getRegistrations())
      await registration.unregister();
    el.remove();

    const slow = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/slow-worker.js" name="req"></sw-relay>`,
      ),
    );
    expect(await slow.request('quick')).to.deep.equal({ answered: 'quick' });
    const error = await slow.request('hang', { timeout: 150 }).catch((e: RelayRequestError) => e);
    expect(error).to.be.instanceOf(RelayRequestError);
    expect((error as RelayRequestError).code).to.equal('timeout');
    const failed = await slow.request('throw').catch((e: RelayRequestError) => e);
    expect([
      (failed as RelayRequestError).code,
      (failed as RelayRequestError).message,
    ]).to.deep.equal(['worker-error', 'handler failed']);
  });

  it('re-uses the registration on later loads', async () => {
    const first = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name="later"></sw-relay>`,
      ),
    );
    const registration = first.serviceWorkerRegistration;
    first.remove();
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, 'later');
    const again = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name="later"></sw-relay>`,
      ),
    );
    expect(again.serviceWorkerRegistration).to.equal(registration);
    again.post('still relayed');
    expect(await tab.waitFor('window.log.length && window.log')).to.deep.equal(['still relayed']);
  });

  it('a worker update while messages flow: update event, skipWaiting(), nothing lost', async () => {
    const name = uniqueName('update');
    const el = await opened(
      await fixture<SwRelayElement>(
        html`<sw-relay src="/sw-test/worker.js" name=${name}></sw-relay>`,
      ),
    );
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name);
    const updates = record(el, 'update');
    const before = el.serviceWorkerRegistration!.active;
    await executeServerCommand('sw-bump');
    let sent = 0;
    const flow = setInterval(() => el.post(sent++), 5);
    try {
      await el.serviceWorkerRegistration!.update();
      await waitUntil(() => updates.length === 1, 30_000, 'update event');
      el.skipWaiting();
      await waitUntil(
        () => el.serviceWorkerRegistration!.active !== before,
        30_000,
        'new worker active',
      );
      await sleep(100);
    } finally {
      clearInterval(flow);
    }
    const expected = [...Array(sent).keys()];
    expect(await tab.waitFor(`window.log.length === ${sent} && window.log`, 30_000)).to.deep.equal(
      expected,
    );
  });

  it('a script that cannot load is register-failed', async () => {
    const el = document.createElement('sw-relay');
    el.name = 'broken';
    el.src = '/sw-test/missing.js';
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await waitUntil(() => errors.length === 1, 30_000);
    expect(errors[0].code).to.equal('register-failed');
    expect(el.state).to.equal('error');
  });

  it('missing-name; unsupported in an opaque-origin frame', async () => {
    const el = document.createElement('sw-relay');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    await el.updateComplete;
    expect(errors.map((e) => e.code)).to.deep.equal(['missing-name']);

    expect(
      await runInOpaqueFrame(`
      import '${location.origin}/src/sw-relay-define.ts';
      const el = document.createElement('sw-relay');
      el.name = 'x';
      const codes = [];
      el.addEventListener('error', (e) => codes.push(e.code));
      // A post queued before it opened, then removed: what a removed relay still sends looks
      // for a worker, and reading navigator.serviceWorker throws here (no unhandled rejection).
      const rejections = [];
      addEventListener('unhandledrejection', (e) => rejections.push(String(e.reason)));
      document.body.append(el);
      el.post('queued');
      await el.updateComplete;
      const state = el.state;
      el.remove();
      await new Promise((r) => setTimeout(r, 500));
      parent.postMessage({ codes, state, rejections }, '*');
    `),
    ).to.deep.equal({ codes: ['unsupported'], state: 'error', rejections: [] });
  });

  it('posts before the worker is active are queued; wrong use throws', async () => {
    const name = uniqueName('queued');
    const tab = await Tab.open('/sw-test/tab.html');
    const el = document.createElement('sw-relay');
    el.name = name;
    el.src = '/sw-test/worker.js';
    el.setAttribute('queue-limit', '3');
    const errors = record<RealtimeErrorEvent>(el, 'error');
    document.body.append(el);
    expect([el.post(1), el.post(2), el.post(3), el.post(4)]).to.deep.equal([
      true,
      true,
      true,
      false,
    ]);
    expect(errors.map((e) => e.code)).to.deep.equal(['queue-full']);
    await relayIn(tab, name);
    await opened(el);
    // The other tab was not listening when they were sent: a late listener gets only new posts.
    el.post(5);
    expect(await tab.waitFor('window.log.includes(5) && window.log')).to.include(5);
    expect(() => el.post(() => 1))
      .to.throw(DOMException)
      .with.property('name', 'DataCloneError');
    el.remove();
    expect(() => el.post(1))
      .to.throw(DOMException)
      .with.property('name', 'InvalidStateError');
  });
});

// Red team #25: a queued post kept the caller's object, so a change made before the worker was
// active changed what was sent (`<popup-bridge>` copies at the call). Every send takes its data
// as it is at the call: post() and request() alike.
describe('<sw-relay>: queued data is taken at the call', () => {
  afterEach(cleanUp);

  it('post() and request() queued before the worker is active send the data as it was', async () => {
    const name = uniqueName('copy');
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name, '/sw-test/slow-worker.js');
    const el = document.createElement('sw-relay');
    el.name = name;
    el.src = '/sw-test/slow-worker.js';
    document.body.append(el);
    expect(el.state).to.not.equal('open');
    const data = { items: ['first'] };
    el.post(data);
    const answer = el.request(data);
    data.items.push('changed after the call');
    const bytes = new Uint8Array([1, 2, 3]);
    el.post(bytes);
    bytes[0] = 9;
    expect(await answer).to.deep.equal({ answered: { items: ['first'] } });
    const got = await tab.waitFor<unknown[]>('window.log.length >= 2 && window.log');
    expect(got[0]).to.deep.equal({ items: ['first'] });
    expect(Object.values(got[1] as object)).to.deep.equal([1, 2, 3]);
  });
});

describe('<sw-relay>: a call from inside a listener wins over what the element does next', () => {
  afterEach(cleanUp);

  it('disabled = true in an open listener: closed, and what was queued is not sent', async () => {
    const name = uniqueName('wins');
    const make = () => {
      const el = document.createElement('sw-relay');
      el.setAttribute('name', name);
      el.setAttribute('src', '/sw-test/worker.js');
      return el;
    };
    // Another tab hears what reaches the worker (same-page elements hear posts directly).
    const tab = await Tab.open('/sw-test/tab.html');
    await relayIn(tab, name);
    const el = make();
    el.addEventListener('open', () => (el.disabled = true), { once: true });
    const opens = record(el, 'open');
    document.body.append(el);
    expect(el.post('queued before open')).to.equal(true);
    await waitUntil(() => opens.length === 1 && el.state === 'closed', 30_000);
    const sentinel = make();
    document.body.append(sentinel);
    await opened(sentinel);
    sentinel.post('after');
    expect(await tab.waitFor('window.log.includes("after") && window.log')).to.deep.equal([
      'after',
    ]);
  });
});

/**
 * The seeded fault test of issue #17: three real tabs each send 300 messages in bursts while the
 * hub publishes 600; a chaos loop cuts every socket at random, refuses upgrades for a while,
 * injects oversize sends and bursts past the rate. Every tab must receive every other tab's sends
 * and every hub publish exactly once, in order per sender, and none of its own. Once against
 * the embedded hub, once against two hub processes on one redis-server behind a proxy that
 * sends each reconnect to the other process. `?seed=` (or a random one) is printed on failure.
 */
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../src/socket-relay-define.js';
import { Tab, closeAllTabs, uniqueName, faultRun, prng } from './helpers.js';

const SENDS = 300;
const HUB = 600;
const TABS = 3;

interface Setup {
  src: string;
  cut: () => Promise<unknown>;
  refuse: (ms: number) => Promise<unknown>;
  publish: (topic: string) => Promise<unknown>;
}

async function chaos(seed: number, setup: Setup): Promise<void> {
  const random = prng(seed);
  const topic = uniqueName('chaos');
  const tabs: Tab[] = [];
  for (let t = 0; t < TABS; t++) {
    const tab = await Tab.open();
    await tab.eval(`(async () => {
      const el = document.createElement('socket-relay');
      el.setAttribute('src', ${JSON.stringify(setup.src)});
      el.setAttribute('topic', ${JSON.stringify(topic)});
      el.setAttribute('retry-min', '20');
      el.setAttribute('retry-max', '200');
      window.got = [];
      window.errors = [];
      window.rangeErrors = 0;
      el.addEventListener('message', (e) => window.got.push(e.data));
      el.addEventListener('error', (e) => window.errors.push(e.code));
      document.body.append(el);
      while (el.state !== 'open' || !el.lastEventId) await new Promise((r) => setTimeout(r, 10));
      window.relay = el;
      window.sent = 0;
      window.burst = (count) => {
        const end = Math.min(${SENDS}, window.sent + count);
        for (; window.sent < end; window.sent++) el.send({ f: 'tab${t}', n: window.sent });
        return window.sent;
      };
      window.oversize = () => {
        try {
          el.send('x'.repeat(70_000));
        } catch (error) {
          if (error instanceof RangeError) window.rangeErrors++;
        }
        return true;
      };
      return true;
    })()`);
    tabs.push(tab);
  }

  let sending = true;
  const faults: string[] = [];
  const chaosLoop = (async () => {
    while (sending) {
      await new Promise((resolve) => setTimeout(resolve, 30 + random() * 170));
      const roll = random();
      if (roll < 0.45) {
        faults.push('cut');
        await setup.cut();
      } else if (roll < 0.6) {
        const ms = Math.round(100 + random() * 400);
        faults.push(`refuse ${ms}`);
        await setup.refuse(ms);
        await setup.cut();
      } else if (roll < 0.8) {
        const t = Math.floor(random() * TABS);
        faults.push(`oversize tab${t}`);
        await tabs[t]!.eval('window.oversize()');
      } else {
        // A burst past the hub's rate (100/s, bursts of 200): 150 in one task.
        const t = Math.floor(random() * TABS);
        faults.push(`burst tab${t}`);
        await tabs[t]!.eval('window.burst(150)');
      }
    }
  })();
  const senders = tabs.map(async (tab) => {
    let sent = 0;
    while (sent < SENDS) {
      sent = await tab.eval<number>(`window.burst(${1 + Math.floor(random() * 40)})`);
      await new Promise((resolve) => setTimeout(resolve, random() * 120));
    }
    await tab.waitFor('window.relay.queued === 0', 45_000).catch(async (error: Error) => {
      const relay = await tab.eval(
        `JSON.stringify({ state: window.relay.state, queued: window.relay.queued, sent: window.sent, got: window.got.length, errors: window.errors })`,
      );
      throw new Error(`${error.message}: ${relay}`);
    });
  });
  const hub = setup.publish(topic);
  try {
    await Promise.all([...senders, hub]);
  } finally {
    sending = false;
    await chaosLoop;
  }

  const expected = (TABS - 1) * SENDS + HUB;
  for (const tab of tabs) await tab.waitFor(`window.got.length >= ${expected}`, 30_000);
  // A sentinel after everything: nothing more (no late duplicate) may arrive before it.
  await setup.cut();
  const sentinel = { f: 'sentinel', n: 0 };
  await tabs[0]!.waitFor(`window.relay.state === 'open'`, 30_000);
  await tabs[0]!.eval(
    `window.relay.echo = true, window.relay.send(${JSON.stringify(sentinel)}), true`,
  );
  for (const [t, tab] of tabs.entries()) {
    await tab.waitFor(`window.got.some((d) => d.f === 'sentinel')`, 20_000);
    const got = await tab.eval<{ f: string; n: number }[]>('window.got');
    const errors = await tab.eval<string[]>('window.errors');
    const bySender = new Map<string, number[]>();
    for (const data of got.slice(0, -1)) {
      if (!bySender.has(data.f)) bySender.set(data.f, []);
      bySender.get(data.f)!.push(data.n);
    }
    const context = `tab${t}, faults: ${faults.join(', ')}`;
    expect(got.at(-1), context).to.deep.equal(sentinel);
    expect(bySender.has(`tab${t}`), `tab${t} received its own sends; ${context}`).to.equal(false);
    for (let other = 0; other < TABS; other++) {
      if (other === t) continue;
      expect(bySender.get(`tab${other}`), `from tab${other}; ${context}`).to.deep.equal([
        ...Array(SENDS).keys(),
      ]);
    }
    expect(bySender.get('hub'), `from the hub; ${context}`).to.deep.equal([...Array(HUB).keys()]);
    expect(got.length, context).to.equal(expected + 1);
    expect(
      errors.filter((code) => code === 'rate-limited' || code === 'too-large'),
      context,
    ).to.deep.equal([]);
  }
}

/**
 * Publishes the HUB events through `command` in chunks of 50: one command must answer within the
 * runner's 20 s, and 600 publishes through redis took longer than that on a loaded machine.
 */
async function publishPaced(command: string, topic: string): Promise<void> {
  for (let from = 0; from < HUB; from += 50) {
    await executeServerCommand(command, {
      topic,
      from,
      count: Math.min(50, HUB - from),
      pause: 15,
    });
  }
}

async function seeded(setup: Setup): Promise<void> {
  const seed = Number(new URLSearchParams(location.search).get('seed')) || Date.now() % 1e9;
  // Printed first too: a test that runs out of time never reaches the catch below.
  console.log(`chaos seed ${seed}`);
  try {
    await chaos(seed, setup);
  } catch (error) {
    (error as Error).message = `[chaos seed ${seed}] ${(error as Error).message}`;
    console.error(`chaos seed ${seed}`);
    throw error;
  }
}

describe(
  faultRun('<socket-relay> under chaos: exactly once, in order per sender, none of its own'),
  () => {
    afterEach(async () => {
      await closeAllTabs();
    });

    // Its waits add up to minutes (45 s for the acknowledgements, 30 s for the deliveries, 20 s per
    // sentinel); it took 24 s under load and ran out of a 60 s limit once, with no message.
    it('three tabs and the embedded hub', async function () {
      this.timeout(180_000);
      await seeded({
        src: '/realtime/ws',
        cut: () => executeServerCommand('hub-cut'),
        refuse: (ms) => executeServerCommand('hub-refuse', { ms }),
        publish: (topic) => publishPaced('hub-publish-paced', topic),
      });
    });

    it('three tabs and two hub processes on one redis-server, reconnecting to the other', async function () {
      this.timeout(180_000);
      const { url } = await executeServerCommand<{ url: string }, unknown>('cluster-start');
      await seeded({
        src: url,
        cut: () => executeServerCommand('cluster-cut'),
        refuse: (ms) => executeServerCommand('cluster-refuse', { ms }),
        publish: (topic) => publishPaced('cluster-publish-paced', topic),
      });
    });
  },
);

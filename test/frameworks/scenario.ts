// One scenario that every framework test runs, so each framework is held to the same facts:
// a component with <tab-channel>, <storage-sync> and <sse-feed>, a rich property and primitive
// attributes bound the framework's way, events heard through the framework's own listeners,
// then an update and an unmount that must release everything.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/define.js';
import {
  Tab,
  closeAllTabs,
  countObjects,
  hubConnections,
  listenerTypes,
  uniqueName,
  waitUntil,
} from '../helpers.js';

/** What the component binds. */
export interface PanelProps {
  channel: string;
  storageKey: string;
  src: string;
  settings: { theme: string; tags: string[] };
}

/** What the component's event handlers record: tag, event type and the payload field. */
export interface Heard {
  tag: string;
  type: string;
  detail: unknown;
}

/** The framework's handlers call this with the event they received. */
export type Recorder = (tag: string, event: Event) => void;

export interface MountedPanel {
  /** Changes props the framework's way and resolves once the DOM is updated. */
  update(next: Partial<PanelProps>): Promise<void>;
  unmount(): Promise<void>;
}

export type MountPanel = (
  host: HTMLElement,
  props: PanelProps,
  record: Recorder,
) => Promise<MountedPanel>;

function recorder(heard: Heard[]): Recorder {
  return (tag, event) => {
    const e = event as Event & { data?: unknown; value?: unknown; code?: string };
    const detail =
      event.type === 'error' ? e.code : event.type === 'valuechange' ? e.value : e.data;
    heard.push({ tag, type: event.type, detail });
  };
}

/** A plain BroadcastChannel post from a scope that ends at once (so the channel can be collected). */
function postOnce(name: string, data: unknown): void {
  const plain = new BroadcastChannel(name);
  plain.postMessage(data);
  plain.close();
}

export async function runPanelScenario(mount: MountPanel): Promise<void> {
  const baseline = {
    channels: await countObjects('BroadcastChannel.prototype'),
  };
  const topic = uniqueName('framework');
  const props: PanelProps = {
    channel: uniqueName('channel'),
    storageKey: uniqueName('key'),
    src: `/realtime/sse?topic=${topic}`,
    settings: { theme: 'dark', tags: ['a', 'b'] },
  };
  const heard: Heard[] = [];
  const host = document.createElement('div');
  document.body.append(host);
  try {
    const panel = await mount(host, props, recorder(heard));

    // Mounted: each element is connected, open, with its bound values.
    const channel = host.querySelector('tab-channel')!;
    const sync = host.querySelector('storage-sync')!;
    const feed = host.querySelector('sse-feed')!;
    await waitUntil(
      () => [channel, sync, feed].every((el) => el?.state === 'open'),
      15_000,
      'all three elements to open',
    );
    expect(channel.getAttribute('name')).to.equal(props.channel);
    expect(sync.key).to.equal(props.storageKey);
    expect(feed.src).to.equal(props.src);
    // The object went in as a property (an attribute would have stored "[object Object]").
    expect(JSON.parse(localStorage.getItem(props.storageKey)!)).to.deep.equal(props.settings);
    expect(heard, 'setting a value fires nothing back').to.deep.equal([]);

    // Events from outside arrive through the framework's listeners.
    postOnce(props.channel, { hello: 'framework' });
    await executeServerCommand('hub-publish', { topic, data: { price: 42 } });
    const tab = await Tab.open();
    await tab.eval(
      `(() => { localStorage.setItem(${JSON.stringify(props.storageKey)}, '{"theme":"light","tags":[]}'); return true; })()`,
    );
    await waitUntil(() => heard.length >= 3, 15_000, 'three events');
    expect(heard.slice().sort((a, b) => a.tag.localeCompare(b.tag))).to.deep.equal([
      { tag: 'sse-feed', type: 'message', detail: { price: 42 } },
      { tag: 'storage-sync', type: 'valuechange', detail: { theme: 'light', tags: [] } },
      { tag: 'tab-channel', type: 'message', detail: { hello: 'framework' } },
    ]);

    // Updates: a new object property and new primitive attributes reach the elements.
    heard.length = 0;
    const renamed = uniqueName('channel');
    await panel.update({
      settings: { theme: 'blue', tags: ['c'] },
      channel: renamed,
      src: '/no-such-stream',
    });
    await waitUntil(() => heard.some((entry) => entry.type === 'error'), 15_000, 'the error');
    expect(host.querySelector('tab-channel')!.name).to.equal(renamed);
    expect(JSON.parse(localStorage.getItem(props.storageKey)!)).to.deep.equal({
      theme: 'blue',
      tags: ['c'],
    });
    expect(heard).to.deep.equal([{ tag: 'sse-feed', type: 'error', detail: 'http-status' }]);

    // Unmounting removes the elements and they release what they held.
    await panel.unmount();
    expect(host.querySelector('tab-channel, storage-sync, sse-feed')).to.equal(null);
    expect(await countObjects('BroadcastChannel.prototype')).to.equal(baseline.channels);
    expect(await listenerTypes()).not.to.include('storage');
    // Counted by topic: the hub's total also moves with earlier tests' streams, still closing.
    await waitUntil(async () => (await hubConnections(topic)).sse === 0, 15_000, 'SSE released');
  } finally {
    host.remove();
    await closeAllTabs();
  }
}

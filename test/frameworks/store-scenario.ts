// One store scenario that every framework adapter runs: a component renders from an element's
// store (`useRealtime` / `realtimeSignal` / Svelte's `$store`), updates when another tab posts,
// and once unmounted neither updates nor leaves a subscription on the element, which lives on.
import { expect } from '@open-wc/testing';
import '../../src/define.js';
import type { TabChannelElement } from '../../src/index.js';
import { Tab, closeAllTabs, uniqueName, waitUntil } from '../helpers.js';

export interface Chat {
  text: string;
}

export interface MountedStore {
  unmount(): Promise<void>;
}

/**
 * Mounts a component that shows `${snapshot.state}:${snapshot.data?.text ?? ''}` of `element`
 * in a `<p>` inside `host` and calls `rendered()` on every render.
 */
export type MountStore = (
  host: HTMLElement,
  element: TabChannelElement<Chat>,
  rendered: () => void,
) => Promise<MountedStore>;

/** Subscriptions an element holds (its private set: the test's only look inside). */
const subscriptions = (element: Element): number =>
  (element as unknown as { _subscribers?: Set<unknown> })._subscribers?.size ?? 0;

export async function runStoreScenario(mount: MountStore): Promise<void> {
  const name = uniqueName('store');
  const element = document.createElement('tab-channel') as TabChannelElement<Chat>;
  element.name = name;
  document.body.append(element);
  const host = document.createElement('div');
  document.body.append(host);
  let renders = 0;
  const text = () => host.querySelector('p')?.textContent;
  const tab = await Tab.open();
  const post = (data: Chat) =>
    tab.eval(
      `(() => { const c = new BroadcastChannel(${JSON.stringify(name)}); c.postMessage(${JSON.stringify(data)}); c.close(); return true; })()`,
    );
  try {
    const mounted = await mount(host, element, () => renders++);
    // Rendered from the store: the element's state, no message yet.
    await waitUntil(() => text() === 'open:', 5000, 'the first render from the store');
    // React subscribes in an effect after the render (in WebKit the render was seen first).
    await waitUntil(() => subscriptions(element) >= 1, 5000, 'the subscription');
    expect(subscriptions(element)).to.equal(1);

    // Another tab's message reaches the component.
    await post({ text: 'one' });
    await waitUntil(() => text() === 'open:one', 10_000, "the other tab's message rendered");

    await mounted.unmount();
    expect(host.querySelector('p')).to.equal(null);
    expect(subscriptions(element), 'no subscription left').to.equal(0);
    const after = renders;

    // The element lives on and still hears the other tab; the unmounted component does not.
    await post({ text: 'two' });
    await waitUntil(() => element.snapshot.data?.text === 'two', 10_000, 'the element heard it');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(renders, 'no render after unmount').to.equal(after);
  } finally {
    element.remove();
    host.remove();
    await closeAllTabs();
  }
}

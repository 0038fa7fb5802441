// React 18 (npm:react@18 beside React 19, loaded as its UMD build so it is a real, separate copy)
// with the wrapper components of `realtime-elements/react/components` (`@lit/react`): React 18
// sets every prop of a plain custom element as an attribute and cannot listen to its events.
import { expect } from '@open-wc/testing';
import type * as ReactModule from 'react';
import type * as ReactDOMClientModule from 'react-dom/client';
import { createRealtimeComponents } from '../../src/react-components.js';
import type { StorageSyncElement, TabChannelElement } from '../../src/index.js';
import type { Chat } from './store-scenario.js';
import { Tab, closeAllTabs, uniqueName, waitUntil } from '../helpers.js';

type React18 = typeof ReactModule;
const loaded = (src: string) =>
  new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(script);
  });

let React: React18;
let ReactDOM: typeof ReactDOMClientModule;
let components: ReturnType<typeof createRealtimeComponents>;

const subscriptions = (element: Element): number =>
  (element as unknown as { _subscribers?: Set<unknown> })._subscribers?.size ?? 0;

before(async () => {
  await loaded('/node_modules/react18/umd/react.development.js');
  await loaded('/node_modules/react-dom18/umd/react-dom.development.js');
  const page = window as unknown as { React: React18; ReactDOM: typeof ReactDOMClientModule };
  React = page.React;
  ReactDOM = page.ReactDOM;
  components = createRealtimeComponents(React);
});

describe('React 18: wrapper components (@lit/react)', () => {
  it('is React 18', () => {
    expect(React.version).to.match(/^18\./);
  });

  it('renders from the store, updates on another tab, stops at unmount with no listener left', async () => {
    const { TabChannel, useRealtime } = components;
    const h = React.createElement;
    const name = uniqueName('react18');
    const host = document.createElement('div');
    document.body.append(host);
    const heard: string[] = [];
    const states: string[] = [];
    let renders = 0;
    function Latest() {
      const ref = React.useRef<TabChannelElement<Chat>>(null);
      const snapshot = useRealtime(ref);
      renders++;
      return h(
        React.Fragment,
        null,
        h(TabChannel, {
          ref,
          name,
          onMessage: (event) => heard.push((event.data as Chat).text),
          onStateChange: (event) => states.push(event.state),
        }),
        h('p', null, `${snapshot?.state ?? ''}:${snapshot?.data?.text ?? ''}`),
      );
    }
    const tab = await Tab.open();
    const post = (data: Chat) =>
      tab.eval(
        `(() => { const c = new BroadcastChannel(${JSON.stringify(name)}); c.postMessage(${JSON.stringify(data)}); c.close(); return true; })()`,
      );
    const text = () => host.querySelector('p')?.textContent;
    const root = ReactDOM.createRoot(host);
    try {
      root.render(h(React.StrictMode, null, h(Latest)));
      await waitUntil(() => text() === 'open:', 10_000, 'the first render from the store');
      const element = host.querySelector('tab-channel') as TabChannelElement<Chat>;
      expect(element.name).to.equal(name);
      expect(states).to.include('open');
      expect(subscriptions(element)).to.equal(1);

      await post({ text: 'one' });
      await waitUntil(() => text() === 'open:one', 10_000, "the other tab's message rendered");
      expect(heard).to.deep.equal(['one']);

      root.unmount();
      expect(host.querySelector('p')).to.equal(null);
      expect(subscriptions(element), 'no subscription left').to.equal(0);
      const after = renders;
      // The kept element: an event on it reaches no handler of the gone component.
      element.dispatchEvent(new MessageEvent('message', { data: { text: 'late' } }));
      element.dispatchEvent(new Event('statechange'));
      expect(heard, 'no listener left').to.deep.equal(['one']);
      expect(renders, 'no render after unmount').to.equal(after);
    } finally {
      host.remove();
      await closeAllTabs();
    }
  });

  it('sets object properties as properties and listens with onValueChange', async () => {
    const { StorageSync } = components;
    const h = React.createElement;
    const key = uniqueName('react18-key');
    const host = document.createElement('div');
    document.body.append(host);
    const values: unknown[] = [];
    const root = ReactDOM.createRoot(host);
    const settings = { theme: 'dark', size: 3 };
    // A plain class field (not on the prototype): still a property, never an attribute.
    const validate = (raw: unknown) => raw as typeof settings;
    const render = (value: object) =>
      root.render(
        h(StorageSync, {
          'storage-key': key,
          value,
          validate,
          onValueChange: (event: { value: unknown }) => values.push(event.value),
        } as never),
      );
    try {
      render(settings);
      await waitUntil(() => host.querySelector('storage-sync') !== null, 10_000, 'mounted');
      const element = host.querySelector('storage-sync') as StorageSyncElement<typeof settings>;
      await waitUntil(() => element.state === 'open', 10_000, 'storage-sync open');
      expect(element.key).to.equal(key);
      expect(element.value).to.deep.equal(settings);
      expect(element.hasAttribute('value'), 'not an "[object Object]" attribute').to.equal(false);
      expect(element.validate).to.equal(validate);
      expect(element.hasAttribute('validate')).to.equal(false);
      expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal(settings);

      // Another tab writes the key: the wrapper's onValueChange hears it.
      const tab = await Tab.open();
      await tab.eval(
        `(localStorage.setItem(${JSON.stringify(key)}, '{"theme":"light","size":1}'), true)`,
      );
      await waitUntil(
        () => values.some((value) => (value as { theme?: string })?.theme === 'light'),
        10_000,
        "the other tab's value heard",
      );
      root.unmount();
    } finally {
      localStorage.removeItem(key);
      host.remove();
      await closeAllTabs();
    }
  });
});

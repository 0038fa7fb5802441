// React ships CommonJS: default imports (named ones are not statically visible).
import React from 'react';
import ReactDOMClient from 'react-dom/client';
import type {} from '../../frameworks/react.js';
import { runPanelScenario, type PanelProps, type Recorder } from './scenario.js';
import { runStoreScenario, type Chat } from './store-scenario.js';
import { useRealtime } from '../../src/react.js';
// The JSX typings are of dist/ (the published classes).
import type { TabChannelElement } from '../../dist/index.js';
import { uniqueName, waitUntil } from '../helpers.js';

// React 19 sets a prop as a property when the element has it (so `value` gets the object) and
// adds a listener for `on<event>`. `key` is React's own: <storage-sync> takes `storage-key` too.
function Panel({ props, record }: { props: PanelProps; record: Recorder }) {
  return (
    <>
      <tab-channel name={props.channel} onmessage={(event) => record('tab-channel', event)} />
      <storage-sync
        storage-key={props.storageKey}
        value={props.settings}
        onvaluechange={(event) => record('storage-sync', event)}
      />
      <sse-feed
        src={props.src}
        type="json"
        onmessage={(event) => record('sse-feed', event)}
        onerror={(event) => record('sse-feed', event)}
      />
    </>
  );
}

describe('React 19', () => {
  it('binds, listens, updates and unmounts <tab-channel>, <storage-sync> and <sse-feed>', () =>
    runPanelScenario(async (host, initial, record) => {
      (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
      const root = ReactDOMClient.createRoot(host);
      let props = initial;
      await React.act(() => root.render(<Panel props={props} record={record} />));
      return {
        async update(next) {
          props = { ...props, ...next };
          await React.act(() => root.render(<Panel props={props} record={record} />));
        },
        async unmount() {
          await React.act(() => root.unmount());
        },
      };
    }));
});

describe('React 19: useRealtime', () => {
  it('renders from the store, updates on another tab, stops at unmount', () =>
    runStoreScenario(async (host, element, rendered) => {
      (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
      const ref = { current: element };
      function Latest() {
        const snapshot = useRealtime(ref);
        rendered();
        return <p>{`${snapshot?.state ?? ''}:${snapshot?.data?.text ?? ''}`}</p>;
      }
      const root = ReactDOMClient.createRoot(host);
      root.render(
        <React.StrictMode>
          <Latest />
        </React.StrictMode>,
      );
      return { unmount: async () => root.unmount() };
    }));

  it('follows an element of its own (a ref on the tag)', async () => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
    const host = document.createElement('div');
    document.body.append(host);
    const name = uniqueName('own');
    function Own() {
      const ref = React.useRef<TabChannelElement<Chat>>(null);
      const snapshot = useRealtime(ref);
      return (
        <>
          <tab-channel ref={ref} name={name} />
          <p>{`${snapshot?.state}:${snapshot?.data?.text ?? ''}`}</p>
        </>
      );
    }
    const root = ReactDOMClient.createRoot(host);
    root.render(<Own />);
    try {
      await waitUntil(() => host.querySelector('p')?.textContent === 'open:', 5000);
      const plain = new BroadcastChannel(name);
      plain.postMessage({ text: 'hi' });
      plain.close();
      await waitUntil(() => host.querySelector('p')?.textContent === 'open:hi', 5000);
    } finally {
      root.unmount();
      host.remove();
    }
  });
});

// Red team #25: `useRealtime(ref)` subscribed once per ref object, so when the ref later
// pointed to another element (a keyed remount, a conditional swap) it stayed on the old one.
describe('React 19: useRealtime follows the ref to a new element', () => {
  const text = (host: HTMLElement) => host.querySelector('p')?.textContent;
  const say = (name: string, message: string) => {
    const plain = new BroadcastChannel(name);
    plain.postMessage({ text: message });
    plain.close();
  };

  it('a keyed remount in the same component', async () => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
    const host = document.createElement('div');
    document.body.append(host);
    const names = { a: uniqueName('swap-a'), b: uniqueName('swap-b') };
    let swap!: (which: 'a' | 'b') => void;
    function Swapping() {
      const [which, setWhich] = React.useState<'a' | 'b'>('a');
      swap = setWhich;
      const ref = React.useRef<TabChannelElement<Chat>>(null);
      const snapshot = useRealtime(ref);
      return (
        <>
          <tab-channel key={which} ref={ref} name={names[which]} />
          <p>{`${snapshot?.state}:${snapshot?.data?.text ?? ''}`}</p>
        </>
      );
    }
    const root = ReactDOMClient.createRoot(host);
    root.render(
      <React.StrictMode>
        <Swapping />
      </React.StrictMode>,
    );
    try {
      await waitUntil(() => text(host) === 'open:', 5000);
      say(names.a, 'from a');
      await waitUntil(() => text(host) === 'open:from a', 5000);
      swap('b');
      await waitUntil(() => text(host) === 'open:', 5000, 'the new element, open');
      say(names.b, 'from b');
      await waitUntil(() => text(host) === 'open:from b', 5000, 'a message on the new element');
    } finally {
      root.unmount();
      host.remove();
    }
  });

  it('a child that remounts its element while the component holding the ref does not render', async () => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
    const host = document.createElement('div');
    document.body.append(host);
    const names = { a: uniqueName('child-a'), b: uniqueName('child-b') };
    let swap!: (which: 'a' | 'b') => void;
    function Child({ feed }: { feed: React.RefObject<TabChannelElement<Chat> | null> }) {
      const [which, setWhich] = React.useState<'a' | 'b'>('a');
      swap = setWhich;
      return <tab-channel key={which} ref={feed} name={names[which]} />;
    }
    function Parent() {
      const ref = React.useRef<TabChannelElement<Chat>>(null);
      const snapshot = useRealtime(ref);
      return (
        <>
          <Child feed={ref} />
          <p>{`${snapshot?.state}:${snapshot?.data?.text ?? ''}`}</p>
        </>
      );
    }
    const root = ReactDOMClient.createRoot(host);
    root.render(<Parent />);
    try {
      await waitUntil(() => text(host) === 'open:', 5000);
      swap('b');
      await waitUntil(() => host.querySelector('tab-channel')?.getAttribute('name') === names.b);
      await waitUntil(() => text(host) === 'open:', 5000, 'the new element, open');
      say(names.b, 'from b');
      await waitUntil(() => text(host) === 'open:from b', 5000, 'a message on the new element');
    } finally {
      root.unmount();
      host.remove();
    }
  });
});

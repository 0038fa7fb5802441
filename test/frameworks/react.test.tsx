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

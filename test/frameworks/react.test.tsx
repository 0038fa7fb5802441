// React ships CommonJS: default imports (named ones are not statically visible).
import React from 'react';
import ReactDOMClient from 'react-dom/client';
import type {} from '../../frameworks/react.js';
import { runPanelScenario, type PanelProps, type Recorder } from './scenario.js';

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

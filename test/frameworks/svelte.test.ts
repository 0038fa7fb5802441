import { flushSync, mount, unmount } from 'svelte';
import Panel from './Panel.svelte';
import Latest from './Latest.svelte';
import { runPanelScenario } from './scenario.js';
import { runStoreScenario } from './store-scenario.js';

describe('Svelte 5', () => {
  it('binds, listens, updates and unmounts <tab-channel>, <storage-sync> and <sse-feed>', () =>
    runPanelScenario(async (host, initial, record) => {
      const panel = mount(Panel, { target: host, props: { initial, record } });
      flushSync();
      return {
        async update(next) {
          panel.update(next);
          flushSync();
        },
        async unmount() {
          await unmount(panel);
        },
      };
    }));
});

describe('Svelte 5: $store', () => {
  it('renders from the store, updates on another tab, stops at unmount', () =>
    runStoreScenario(async (host, element, rendered) => {
      const latest = mount(Latest, { target: host, props: { element, rendered } });
      flushSync();
      return {
        async unmount() {
          await unmount(latest);
        },
      };
    }));
});

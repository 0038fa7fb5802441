import { flushSync, mount, unmount } from 'svelte';
import Panel from './Panel.svelte';
import { runPanelScenario } from './scenario.js';

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

import { createApp, h, nextTick, reactive, ref, shallowRef } from 'vue/dist/vue.esm-browser.js';
import { runPanelScenario, type PanelProps } from './scenario.js';
import { runStoreScenario, type Chat } from './store-scenario.js';
import { useRealtime } from '../../src/vue.js';
import type { TabChannelElement } from '../../src/index.js';
import { uniqueName, waitUntil } from '../helpers.js';

describe('Vue 3', () => {
  it('binds, listens, updates and unmounts <tab-channel>, <storage-sync> and <sse-feed>', () =>
    runPanelScenario(async (host, initial, record) => {
      const props = reactive<PanelProps>({ ...initial });
      const app = createApp({
        setup: () => ({ props, record }),
        // `key` is Vue's own (vnode identity): <storage-sync> takes `storage-key` too.
        template: `
          <tab-channel :name="props.channel" @message="record('tab-channel', $event)"></tab-channel>
          <storage-sync :storage-key="props.storageKey" :value="props.settings"
            @valuechange="record('storage-sync', $event)"></storage-sync>
          <sse-feed :src="props.src" type="json"
            @message="record('sse-feed', $event)" @error="record('sse-feed', $event)"></sse-feed>
        `,
      });
      app.config.compilerOptions.isCustomElement = (tag: string) => tag.includes('-');
      app.mount(host);
      await nextTick();
      return {
        async update(next) {
          Object.assign(props, next);
          await nextTick();
        },
        async unmount() {
          app.unmount();
        },
      };
    }));
});

describe('Vue 3: useRealtime', () => {
  it('renders from the store, updates on another tab, stops at unmount', () =>
    runStoreScenario(async (host, element, rendered) => {
      const app = createApp({
        setup() {
          // A template ref is a ref: here one that points at an element outside the component.
          const target = shallowRef(element);
          const snapshot = useRealtime(target);
          return () => {
            rendered();
            return h('p', `${snapshot.value?.state ?? ''}:${snapshot.value?.data?.text ?? ''}`);
          };
        },
      });
      app.mount(host);
      return { unmount: async () => app.unmount() };
    }));

  it('follows a template ref', async () => {
    const host = document.createElement('div');
    document.body.append(host);
    const name = uniqueName('own');
    const app = createApp({
      setup() {
        const feed = ref<TabChannelElement<Chat> | null>(null);
        const snapshot = useRealtime(feed);
        return { feed, snapshot, name };
      },
      template: `<tab-channel ref="feed" :name="name"></tab-channel>
        <p>{{ snapshot?.state }}:{{ snapshot?.data?.text ?? '' }}</p>`,
    });
    app.config.compilerOptions.isCustomElement = (tag: string) => tag.includes('-');
    app.mount(host);
    try {
      await waitUntil(() => host.querySelector('p')?.textContent === 'open:', 5000);
      const plain = new BroadcastChannel(name);
      plain.postMessage({ text: 'hi' });
      plain.close();
      await waitUntil(() => host.querySelector('p')?.textContent === 'open:hi', 5000);
    } finally {
      app.unmount();
      host.remove();
    }
  });
});

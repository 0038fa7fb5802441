import { createApp, nextTick, reactive } from 'vue/dist/vue.esm-browser.js';
import { runPanelScenario, type PanelProps } from './scenario.js';

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

import { expect } from '@open-wc/testing';
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

  // Red team #25 (vueuse/vueuse#5572, #5597: a superseded source still writing the state).
  it('follows the template ref to a keyed new element; the old one writes nothing after', async () => {
    const host = document.createElement('div');
    document.body.append(host);
    const names = { a: uniqueName('vswap-a'), b: uniqueName('vswap-b') };
    const which = ref<'a' | 'b'>('a');
    const app = createApp({
      setup() {
        const feed = ref<TabChannelElement<Chat> | null>(null);
        const snapshot = useRealtime(feed);
        return { feed, snapshot, names, which };
      },
      template: `<tab-channel ref="feed" :key="which" :name="names[which]"></tab-channel>
        <p>{{ snapshot?.state }}:{{ snapshot?.data?.text ?? '' }}</p>`,
    });
    app.config.compilerOptions.isCustomElement = (tag: string) => tag.includes('-');
    app.mount(host);
    const text = () => host.querySelector('p')?.textContent;
    const say = (name: string, message: string) => {
      const plain = new BroadcastChannel(name);
      plain.postMessage({ text: message });
      plain.close();
    };
    try {
      await waitUntil(() => text() === 'open:', 5000);
      const old = host.querySelector('tab-channel')!;
      which.value = 'b';
      await waitUntil(() => text() === 'open:', 5000, 'the new element, open');
      expect(host.querySelector('tab-channel')).to.not.equal(old);
      // The old element, put back in the page elsewhere, opens again: nothing of it shows.
      document.body.append(old);
      await waitUntil(() => (old as TabChannelElement).state === 'open', 5000);
      say(names.a, 'from the old one');
      say(names.b, 'from b');
      await waitUntil(() => text() === 'open:from b', 5000, 'a message on the new element');
      await waitUntil(() => (old as TabChannelElement).snapshot.data !== undefined, 5000);
      expect(text()).to.equal('open:from b');
      old.remove();
    } finally {
      app.unmount();
      host.remove();
    }
  });

  it('<keep-alive>: a deactivated component keeps its subscription and shows the element again', async () => {
    const host = document.createElement('div');
    document.body.append(host);
    const name = uniqueName('kept');
    const shown = ref(true);
    const Latest = {
      setup() {
        const feed = ref<TabChannelElement<Chat> | null>(null);
        const snapshot = useRealtime(feed);
        return { feed, snapshot, name };
      },
      template: `<div><tab-channel ref="feed" :name="name"></tab-channel>
        <p>{{ snapshot?.state }}:{{ snapshot?.data?.text ?? '' }}</p></div>`,
    };
    const app = createApp({
      components: { Latest },
      setup: () => ({ shown }),
      template: `<keep-alive><Latest v-if="shown" /></keep-alive>`,
    });
    app.config.compilerOptions.isCustomElement = (tag: string) => tag.includes('-');
    app.mount(host);
    const text = () => host.querySelector('p')?.textContent;
    try {
      await waitUntil(() => text() === 'open:', 5000);
      shown.value = false;
      await waitUntil(() => !host.querySelector('p'));
      shown.value = true;
      await waitUntil(() => text() === 'open:', 5000, 'open again once active');
      const plain = new BroadcastChannel(name);
      plain.postMessage({ text: 'back' });
      plain.close();
      await waitUntil(() => text() === 'open:back', 5000, 'a message after activation');
    } finally {
      app.unmount();
      host.remove();
    }
  });
});

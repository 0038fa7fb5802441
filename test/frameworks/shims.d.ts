// The browser build of Vue (the bare specifier needs a bundler's `process`), typed as `vue`.
declare module 'vue/dist/vue.esm-browser.js' {
  export * from 'vue';
}

declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, unknown>, { update(next: object): void }>;
  export default component;
}

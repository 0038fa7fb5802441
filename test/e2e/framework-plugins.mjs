/**
 * What the framework integration tests need from the test server (see CONTRIBUTING.md, Adding a framework test):
 * Svelte components compiled on request, and React's CommonJS packages turned into ES modules.
 */
import { compile } from 'svelte/compiler';
import { fromRollup } from '@web/dev-server-rollup';
import rollupCommonjs from '@rollup/plugin-commonjs';
import rollupReplace from '@rollup/plugin-replace';

export function svelteCompiler() {
  return {
    name: 'svelte-compiler',
    resolveMimeType(context) {
      if (context.path.endsWith('.svelte')) return 'js';
    },
    async transform(context) {
      if (!context.path.endsWith('.svelte')) return;
      const { js } = compile(context.body, {
        filename: context.path,
        generate: 'client',
        dev: true,
      });
      return { body: js.code };
    },
  };
}

const commonjs = fromRollup(rollupCommonjs);
const replace = fromRollup(rollupReplace);

/** React 19 ships CommonJS only. */
export const reactPackages = [
  replace({
    preventAssignment: true,
    include: [
      '**/node_modules/react/**',
      '**/node_modules/react-dom/**',
      '**/node_modules/scheduler/**',
    ],
    values: { 'process.env.NODE_ENV': JSON.stringify('development') },
  }),
  commonjs({
    include: [
      '**/node_modules/react/**',
      '**/node_modules/react-dom/**',
      '**/node_modules/scheduler/**',
    ],
    strictRequires: false,
    requireReturnsDefault: 'preferred',
  }),
];

/**
 * `realtime-elements/vue` imports bare `vue`, whose default build needs a bundler's `process`:
 * served as the browser build the tests import, so there is one Vue (one effect scope).
 */
export function vueBrowserBuild() {
  return {
    name: 'vue-browser-build',
    resolveImport({ source }) {
      if (source === 'vue') return '/node_modules/vue/dist/vue.esm-browser.js';
    },
  };
}

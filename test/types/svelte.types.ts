// Svelte typings (frameworks/svelte.d.ts), checked by `tsc -p tsconfig.test.json` (never run).
// svelte-check checks markup against these: `onmessage={…}` is the `onmessage` prop.
import type { SvelteHTMLElements } from 'svelte/elements';
import type {} from '../../frameworks/svelte.js';

type Tags = SvelteHTMLElements;

export const ok: Tags['storage-sync'] = {
  key: 'draft',
  value: { theme: 'dark' },
  onvaluechange: (event) => event.value,
  class: 'wrapper',
};
export const feed: Tags['sse-feed'] = { src: '/events', onerror: (event) => event.status };
// @ts-expect-error storage is local or session
export const wrongAttribute: Tags['storage-sync'] = { storage: 'cloud' };
// @ts-expect-error a message event has no code
export const wrongPayload: Tags['tab-channel'] = { onmessage: (event) => event.code };

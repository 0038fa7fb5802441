// Preact typings (frameworks/preact.d.ts), checked by `tsc -p tsconfig.test.json` (never run).
import type { JSX } from 'preact';
import type {} from '../../frameworks/preact.js';

type Tags = JSX.IntrinsicElements;

export const ok: Tags['tab-channel'] = {
  name: 'chat',
  transport: 'idb',
  onmessage: (event) => event.data,
  onerror: (event) => event.code,
};
export const sync: Tags['storage-sync'] = { 'storage-key': 'draft', value: { a: 1 } };
// @ts-expect-error transport is one of five names
export const wrongAttribute: Tags['tab-channel'] = { transport: 'pigeon' };
// @ts-expect-error an error event has no data
export const wrongPayload: Tags['sse-feed'] = { onerror: (event) => event.data };

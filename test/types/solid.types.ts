// Solid typings (frameworks/solid.d.ts), checked by `tsc -p tsconfig.test.json` (never run).
import type { JSX } from 'solid-js';
import type {} from '../../frameworks/solid.js';

type Tags = JSX.IntrinsicElements;

export const ok: Tags['sse-feed'] = {
  src: '/events',
  'retry-min': 500,
  'prop:headers': { a: 'b' },
  'on:message': (event) => event.lastEventId,
  'on:error': (event) => event.code,
};
// @ts-expect-error mode is auto, fetch or native
export const wrongAttribute: Tags['sse-feed'] = { mode: 'websocket' };
// @ts-expect-error an error event has no data
export const wrongPayload: Tags['sse-feed'] = { 'on:error': (event) => event.data };

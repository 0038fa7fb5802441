// Vue typings (frameworks/vue.d.ts), checked by `tsc -p tsconfig.test.json` (never run).
// vue-tsc checks templates against these props; `@message` is the `onMessage` prop.
import type { GlobalComponents } from 'vue';
import type {} from '../../frameworks/vue.js';

type Props<T extends keyof GlobalComponents> = InstanceType<GlobalComponents[T]>['$props'];

export const ok: Props<'tab-channel'> = {
  name: 'chat',
  onMessage: (event) => event.data,
  onError: (event) => event.code,
};
export const sync: Props<'storage-sync'> = {
  'storage-key': 'draft',
  value: { theme: 'dark' },
  onValuechange: (event) => event.oldValue,
};
// @ts-expect-error type is text or json
export const wrongAttribute: Props<'poll-feed'> = { type: 'xml' };
// @ts-expect-error an error event has no data
export const wrongPayload: Props<'socket-relay'> = { onError: (event) => event.data };

// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/storage-sync-define.js';
import type { StorageSyncElement, ValueChangeEvent } from '../../src/index.js';

const sync: StorageSyncElement = document.createElement('storage-sync');
sync.addEventListener('valuechange', (event) => {
  const change: ValueChangeEvent = event;
  const flags: boolean[] = [event.removed, event.cleared];
  return [change.value, change.oldValue, event.key, flags];
});
sync.storage = 'session';
sync.type = 'number';
sync.value = 3;
sync.defaultValue = { any: 'json' };
sync.removeValue();
const lastError: string | undefined = sync.error?.code;
export { lastError };
// @ts-expect-error storage is local or session
sync.storage = 'cookie';
// @ts-expect-error type is json, text, number or boolean
sync.type = 'xml';
// @ts-expect-error valuechange events carry no data field
sync.addEventListener('valuechange', (event) => event.data);

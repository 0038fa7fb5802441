// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/sw-relay-define.js';
import type { RelayRequestError, SwRelayElement } from '../../src/index.js';

const relay: SwRelayElement = document.createElement('sw-relay');
const queued: boolean = relay.post({ any: 'cloneable' });
relay.request('count', { timeout: 1000 }).catch((error: RelayRequestError) => error.code);
relay.addEventListener('update', () => relay.skipWaiting());
relay.addEventListener('message', (event) => {
  const fields: [unknown, string, string] = [event.data, event.sender, event.origin];
  return fields;
});
// @ts-expect-error a relayed message has no hub topic
relay.addEventListener('message', (event) => event.topic);
const lastError: string | undefined = relay.error?.message;
const registration: ServiceWorkerRegistration | undefined = relay.serviceWorkerRegistration;
// @ts-expect-error the sender id is read-only
relay.senderId = 'x';
export { queued, registration, lastError };

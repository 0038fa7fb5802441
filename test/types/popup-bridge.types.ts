// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/popup-bridge-define.js';
import type { BridgeRequestError, PopupBridgeElement } from '../../src/index.js';

const bridge: PopupBridgeElement = document.createElement('popup-bridge');
const popup: Window | null = bridge.open();
const queued: boolean = bridge.post({ any: 'cloneable' });
const answer: Promise<unknown> = bridge.request('time?', { timeout: 1000 });
answer.catch((error: BridgeRequestError) => error.code);
bridge.addEventListener('message', (event) => {
  event.reply?.({ data: event.data, origin: event.origin });
});
// @ts-expect-error a bridge message has no SSE event type
bridge.addEventListener('message', (event) => event.eventType);
// The reason of an error that fired before any listener existed (e.g. `no-opener`).
const lastError: string | undefined = bridge.error?.code;
// @ts-expect-error error is read-only
bridge.error = null;
bridge.addEventListener('close', (event) => event.willReconnect);
// @ts-expect-error timeout is a number
bridge.request('x', { timeout: 'soon' });
export { popup, queued, lastError };

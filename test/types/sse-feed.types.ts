// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/sse-feed-define.js';
import type {
  RealtimeErrorEvent,
  RealtimeCloseEvent,
  ResetEvent,
  SseFeedElement,
} from '../../src/index.js';

const feed: SseFeedElement = document.createElement('sse-feed');
feed.headers = async () => ({ Authorization: 'Bearer fresh' });
feed.headers = { 'X-Static': '1' };
feed.body = { query: 'prices' };
feed.mode = 'fetch';
feed.type = 'json';
feed.addEventListener('message', (event) => {
  const fields: [unknown, string, string, string] = [
    event.data,
    event.lastEventId,
    event.eventType,
    event.origin,
  ];
  return fields;
});
// @ts-expect-error an SSE event has no hub topic
feed.addEventListener('message', (event) => event.topic);
const lastError: RealtimeErrorEvent | null = feed.error;
// @ts-expect-error error is read-only
feed.error = null;
feed.addEventListener('close', (event) => {
  const close: RealtimeCloseEvent = event;
  return close.willReconnect;
});
feed.addEventListener('reset', (event) => {
  const reset: ResetEvent = event;
  return reset.reason;
});
const state: number = feed.readyState;
const retries: number = feed.retryCount;
feed.reconnect();
feed.close();
// @ts-expect-error mode is auto, fetch or native
feed.mode = 'websocket';
// @ts-expect-error headers are strings
feed.headers = { count: 1 };
export { state, retries, lastError };

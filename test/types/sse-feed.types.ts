// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/sse-feed-define.js';
import type { RealtimeCloseEvent, ResetEvent, SseFeedElement } from '../../src/index.js';

const feed: SseFeedElement = document.createElement('sse-feed');
feed.headers = async () => ({ Authorization: 'Bearer fresh' });
feed.headers = { 'X-Static': '1' };
feed.body = { query: 'prices' };
feed.mode = 'fetch';
feed.type = 'json';
feed.addEventListener('message', (event) => [event.data, event.lastEventId]);
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
export { state, retries };

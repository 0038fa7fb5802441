// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/poll-feed-define.js';
import type { PollFeedElement, ResetEvent } from '../../src/index.js';

const feed: PollFeedElement = document.createElement('poll-feed');
feed.long = true;
feed.interval = 2000;
feed.type = 'json';
feed.poll();
feed.addEventListener('message', (event) => [event.data, event.lastEventId]);
feed.addEventListener('reset', (event) => {
  const reset: ResetEvent = event;
  return reset.reason;
});
const cursor: string = feed.lastEventId;
const retries: number = feed.retryCount;
// @ts-expect-error type is text or json
feed.type = 'binary';
export { cursor, retries };

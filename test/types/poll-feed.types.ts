// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/poll-feed-define.js';
import type { PollFeedElement, ResetEvent } from '../../src/index.js';

const feed: PollFeedElement = document.createElement('poll-feed');
feed.long = true;
feed.interval = 2000;
feed.type = 'json';
feed.poll();
feed.addEventListener('message', (event) => {
  const fields: [unknown, string, string, string | undefined, string | undefined] = [
    event.data,
    event.origin,
    event.lastEventId,
    event.topic,
    event.id,
  ];
  return fields;
});
// @ts-expect-error a poll message has no sender
feed.addEventListener('message', (event) => event.sender);
const lastError: string | undefined = feed.error?.code;
feed.addEventListener('reset', (event) => {
  const reset: ResetEvent = event;
  return reset.reason;
});
const cursor: string = feed.lastEventId;
const retries: number = feed.retryCount;
// @ts-expect-error type is text or json
feed.type = 'binary';
export { cursor, retries, lastError };

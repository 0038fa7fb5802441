import { PollFeedElement } from './poll-feed.js';

PollFeedElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'poll-feed': PollFeedElement;
  }
}

export { PollFeedElement };

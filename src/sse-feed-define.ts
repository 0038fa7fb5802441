import { SseFeedElement } from './sse-feed.js';

SseFeedElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'sse-feed': SseFeedElement;
  }
}

export { SseFeedElement };

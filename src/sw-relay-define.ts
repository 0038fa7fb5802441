import { SwRelayElement } from './sw-relay.js';

SwRelayElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'sw-relay': SwRelayElement;
  }
}

export { SwRelayElement };

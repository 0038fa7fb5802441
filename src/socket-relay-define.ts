import { SocketRelayElement } from './socket-relay.js';

SocketRelayElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'socket-relay': SocketRelayElement;
  }
}

export { SocketRelayElement };

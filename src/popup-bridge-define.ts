import { PopupBridgeElement } from './popup-bridge.js';

PopupBridgeElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'popup-bridge': PopupBridgeElement;
  }
}

export { PopupBridgeElement };

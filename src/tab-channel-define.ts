import { TabChannelElement } from './tab-channel.js';

TabChannelElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'tab-channel': TabChannelElement;
  }
}

export { TabChannelElement };

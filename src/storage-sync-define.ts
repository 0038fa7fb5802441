import { StorageSyncElement } from './storage-sync.js';

StorageSyncElement.define();

declare global {
  interface HTMLElementTagNameMap {
    'storage-sync': StorageSyncElement;
  }
}

export { StorageSyncElement };

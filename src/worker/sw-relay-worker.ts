/// <reference lib="webworker" />
// The shipped relay worker, usable as a page's service worker as it is.
import { installRelay } from './relay.js';

declare const self: ServiceWorkerGlobalScope;

installRelay(self);
// Take over open pages at once on first install, so the very first load is relayed as well.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

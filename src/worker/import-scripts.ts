/// <reference lib="webworker" />
// For `importScripts('…/sw-relay-import.js')` in an existing classic service worker:
// exposes `self.installRelay(self, options)`.
import { installRelay } from './relay.js';

(self as unknown as { installRelay: typeof installRelay }).installRelay = installRelay;

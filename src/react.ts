/**
 * `realtime-elements/react`: `useRealtime(ref)`, the element's store as React state
 * (`useSyncExternalStore`), plus the JSX typings of every tag (frameworks/react.d.ts).
 * Loaded only by the pages that import it; React is the page's own. React 18 and older:
 * `realtime-elements/react/components` (wrapper components, and this hook).
 */
import React from 'react';
import { realtimeHook } from './internal/use-realtime.js';

export type { RealtimeStore } from './internal/use-realtime.js';

/**
 * The element's latest snapshot (`{ state, error, lastEventId, data }`, or `{ state, error,
 * value }` for `<storage-sync>`), re-rendering on every change; `undefined` until the element
 * in `ref` is mounted. Concurrent-safe (`useSyncExternalStore`); StrictMode's double effects
 * subscribe, unsubscribe and subscribe again, leaving one subscription. The snapshot is "the
 * latest": listen to `onmessage` to see every message.
 */
export const useRealtime = realtimeHook(React);

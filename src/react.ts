/**
 * `realtime-elements/react`: `useRealtime(ref)`, the element's store as React state
 * (`useSyncExternalStore`), plus the JSX typings of every tag (frameworks/react.d.ts).
 * Loaded only by the pages that import it; React is the page's own.
 */
import React from 'react';
import type { Readable } from './internal/realtime-element.js';

/** An element with a `subscribe()` store and its current `snapshot`. */
export type RealtimeStore<S = unknown> = Readable<S> & { readonly snapshot: S };

const noop = () => {};

/**
 * The element's latest snapshot (`{ state, error, lastEventId, data }`, or `{ state, error,
 * value }` for `<storage-sync>`), re-rendering on every change; `undefined` until the element
 * in `ref` is mounted. Concurrent-safe (`useSyncExternalStore`); StrictMode's double effects
 * subscribe, unsubscribe and subscribe again, leaving one subscription. The snapshot is "the
 * latest": listen to `onmessage` to see every message.
 */
export function useRealtime<E extends RealtimeStore>(ref: {
  readonly current: E | null;
}): E['snapshot'] | undefined {
  const subscribe = React.useCallback(
    (notify: () => void) => ref.current?.subscribe(notify) ?? noop,
    [ref],
  );
  return React.useSyncExternalStore(
    subscribe,
    () => ref.current?.snapshot,
    () => undefined,
  );
}

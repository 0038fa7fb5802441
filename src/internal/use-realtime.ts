import type * as ReactModule from 'react';
import type { Readable } from './realtime-element.js';

/** An element with a `subscribe()` store and its current `snapshot`. */
export type RealtimeStore<S = unknown> = Readable<S> & { readonly snapshot: S };

const noop = () => {};

/**
 * `useRealtime` made with a given React (18 or later: `useSyncExternalStore`), so the page's
 * own copy runs it, whichever version that is.
 */
export function realtimeHook(
  react: Pick<typeof ReactModule, 'useCallback' | 'useSyncExternalStore'>,
) {
  /**
   * The element's latest snapshot (`{ state, error, lastEventId, data }`, or `{ state, error,
   * value }` for `<storage-sync>`), re-rendering on every change; `undefined` until the element
   * in `ref` is mounted. Concurrent-safe (`useSyncExternalStore`); StrictMode's double effects
   * subscribe, unsubscribe and subscribe again, leaving one subscription. The snapshot is "the
   * latest": listen to `onmessage` to see every message.
   */
  return function useRealtime<E extends RealtimeStore>(ref: {
    readonly current: E | null;
  }): E['snapshot'] | undefined {
    const subscribe = react.useCallback(
      (notify: () => void) => ref.current?.subscribe(notify) ?? noop,
      [ref],
    );
    return react.useSyncExternalStore(
      subscribe,
      () => ref.current?.snapshot,
      () => undefined,
    );
  };
}

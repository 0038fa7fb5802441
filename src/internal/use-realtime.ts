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
  react: Pick<
    typeof ReactModule,
    'useCallback' | 'useEffect' | 'useLayoutEffect' | 'useState' | 'useSyncExternalStore'
  >,
) {
  // No layout effects on a server (React 18 warns of them there); none run there anyway.
  const useCommitEffect = typeof document === 'undefined' ? react.useEffect : react.useLayoutEffect;
  /**
   * The element's latest snapshot (`{ state, error, lastEventId, data }`, or `{ state, error,
   * value }` for `<storage-sync>`), re-rendering on every change; `undefined` until the element
   * in `ref` is mounted. Concurrent-safe (`useSyncExternalStore`); StrictMode's double effects
   * subscribe, unsubscribe and subscribe again, leaving one subscription. Follows `ref` when it
   * points to another element (a keyed remount, a conditional swap, in this component or a
   * child). The snapshot is "the latest": listen to `onmessage` to see every message.
   */
  return function useRealtime<E extends RealtimeStore>(ref: {
    readonly current: E | null;
  }): E['snapshot'] | undefined {
    // The element subscribed to is state: a ref object is the same object whichever element it
    // holds, so subscribing per ref stayed on the first element (red team #25).
    const [element, setElement] = react.useState<E | null>(() => ref.current);
    // After every commit of this component the ref may hold another element now.
    useCommitEffect(() => setElement(ref.current));
    const subscribe = react.useCallback(
      (notify: () => void) =>
        element?.subscribe(() => {
          notify();
          // A child that remounts the element does not render this component: the old element
          // closes as it is removed, and once that commit is done (a microtask later) the ref
          // holds the new one.
          queueMicrotask(() => {
            if (ref.current !== element) setElement(ref.current);
          });
        }) ?? noop,
      [element, ref],
    );
    return react.useSyncExternalStore(
      subscribe,
      () => element?.snapshot,
      () => undefined,
    );
  };
}

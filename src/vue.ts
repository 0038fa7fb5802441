/**
 * `realtime-elements/vue`: `useRealtime(templateRef)`, the element's store as a shallow ref,
 * plus the Vue typings of every tag (frameworks/vue.d.ts). Vue is the page's own.
 */
import { onScopeDispose, shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import type { RealtimeStore } from './react.js';

export type { RealtimeStore };

/**
 * The latest snapshot of the element in `target` (a template ref) as a shallow ref:
 * `{ state, error, lastEventId, data }`, or `{ state, error, value }` for `<storage-sync>`;
 * `undefined` while no element is mounted. Follows the ref when it points to another element;
 * unsubscribes when the component (its effect scope) is disposed.
 */
export function useRealtime<E extends RealtimeStore>(
  target: Readonly<Ref<E | null | undefined>>,
): Readonly<ShallowRef<E['snapshot'] | undefined>> {
  const snapshot = shallowRef<E['snapshot'] | undefined>();
  let stop: (() => void) | undefined;
  const follow = (element: E | null | undefined) => {
    stop?.();
    stop = undefined;
    snapshot.value = undefined;
    if (element) stop = element.subscribe((next) => (snapshot.value = next));
  };
  watch(target, follow, { immediate: true, flush: 'post' });
  onScopeDispose(() => follow(undefined));
  return snapshot;
}

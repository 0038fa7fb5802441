/**
 * `realtime-elements/angular`: `realtimeSignal(element)`, the element's store as a signal.
 * Angular is the page's own.
 */
import { ElementRef, effect, signal, untracked, type Injector, type Signal } from '@angular/core';
import type { RealtimeStore } from './react.js';

export type { RealtimeStore };

type Source<E> = E | ElementRef<E> | (() => E | ElementRef<E> | null | undefined);

/**
 * The latest snapshot of an element as a read-only signal: `{ state, error, lastEventId,
 * data }`, or `{ state, error, value }` for `<storage-sync>`; `undefined` while there is no
 * element. `source` is the element, its `ElementRef`, or a signal of either (`viewChild()`):
 * the signal is followed when it points elsewhere. Call it in an injection context (a field
 * initializer or constructor) or pass `injector`; it unsubscribes when that is destroyed.
 */
export function realtimeSignal<E extends RealtimeStore>(
  source: Source<E>,
  options: { injector?: Injector } = {},
): Signal<E['snapshot'] | undefined> {
  const snapshot = signal<E['snapshot'] | undefined>(undefined);
  effect(
    (onCleanup) => {
      let element = typeof source === 'function' ? source() : source;
      if (element instanceof ElementRef) element = element.nativeElement;
      if (!element) return snapshot.set(undefined);
      const stop = untracked(() =>
        (element as E).subscribe((next) => snapshot.set(next as E['snapshot'])),
      );
      onCleanup(stop);
    },
    { injector: options.injector },
  );
  return snapshot.asReadonly();
}

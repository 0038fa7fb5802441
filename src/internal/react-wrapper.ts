import { createComponent, type EventName, type ReactWebComponent } from '@lit/react';
import type * as ReactModule from 'react';

type EventNames = Record<string, EventName | string>;

/**
 * `@lit/react`'s `createComponent` for the properties, with the event props handled here:
 * `@lit/react` leaves its listeners on the element after unmount (and a kept element, e.g.
 * moved by the page or held in a ref, would still call a gone component's handler). Here each
 * event has one listener from mount to unmount that calls the current prop.
 */
export function wrap<I extends HTMLElement, E extends EventNames>(
  react: typeof ReactModule,
  options: {
    tagName: string;
    elementClass: new () => I;
    displayName: string;
    /** Every settable property: plain class fields (`validate`, `refresh`, `headers` …) are not
     * on the prototype, where `@lit/react` looks, so React 18 would make them attributes. */
    properties: readonly string[];
    events: E;
  },
): ReactWebComponent<I, E> {
  const { events, properties, ...rest } = options;
  const Inner = createComponent({ react, ...rest });
  const Wrapped = react.forwardRef<I, Record<string, unknown>>((props, ref) => {
    const element = react.useRef<I | null>(null);
    const latest = react.useRef(props);
    latest.current = props;
    const setRef = react.useCallback(
      (node: I | null) => {
        element.current = node;
        if (typeof ref === 'function') ref(node);
        else if (ref) ref.current = node;
      },
      [ref],
    );
    // Every render: properties are set as properties (the element ignores an unchanged value).
    react.useLayoutEffect(() => {
      const node = element.current as Record<string, unknown> | null;
      if (!node) return;
      for (const name of properties) if (name in props) node[name] = props[name];
    });
    react.useLayoutEffect(() => {
      const node = element.current;
      if (!node) return;
      const listeners = Object.entries(events).map(
        ([prop, type]) =>
          [
            type,
            (event: Event) => (latest.current[prop] as ((e: Event) => void) | undefined)?.(event),
          ] as const,
      );
      for (const [type, listener] of listeners) node.addEventListener(type, listener);
      return () => {
        for (const [type, listener] of listeners) node.removeEventListener(type, listener);
      };
    }, []);
    const own: Record<string, unknown> = { ref: setRef };
    for (const key in props)
      if (!(key in events) && !properties.includes(key)) own[key] = props[key];
    return react.createElement(Inner as never, own);
  });
  Wrapped.displayName = options.displayName;
  return Wrapped as unknown as ReactWebComponent<I, E>;
}

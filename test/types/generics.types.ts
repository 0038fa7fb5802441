// Type tests for payload generics, snapshots and validate (checked by `tsc`, never run).
import '../../src/define.js';
import { z } from 'zod';
import * as v from 'valibot';
import type {
  PopupBridgeElement,
  SocketRelayElement,
  SseFeedElement,
  StorageSyncElement,
  TabChannelElement,
} from '../../src/index.js';
import { useRealtime } from '../../src/react.js';
import { useRealtime as useVueRealtime } from '../../src/vue.js';
import { realtimeSignal } from '../../src/angular.js';
import { shallowRef } from 'vue';

interface CartMsg {
  items: number;
}
interface Command {
  op: 'clear';
}

const cart = document.querySelector<TabChannelElement<CartMsg>>('tab-channel')!;
cart.addEventListener('message', (event) => {
  const items: number = event.data.items;
  // @ts-expect-error a CartMsg has no `price`
  return event.data.price + items;
});
cart.post({ items: 3 });
// @ts-expect-error a wrong payload is refused
cart.post({ items: 'three' });

// In and Out apart.
const relay = document.querySelector<SocketRelayElement<CartMsg, Command>>('socket-relay')!;
relay.send({ op: 'clear' });
// @ts-expect-error sends take the Out type
relay.send({ items: 1 });
relay.addEventListener('message', (event) => event.data.items.toFixed());

const bridge = document.querySelector<PopupBridgeElement<CartMsg>>('popup-bridge')!;
// @ts-expect-error a wrong payload is refused
bridge.post({ nope: true });

// Snapshots carry the payload type.
const feed = document.querySelector<SseFeedElement<CartMsg>>('sse-feed')!;
const data: CartMsg | undefined = feed.snapshot.data;
// @ts-expect-error data may be undefined before the first message
const sure: CartMsg = feed.snapshot.data;
feed.subscribe(({ state, error, lastEventId, data: latest }) => [
  state,
  error,
  lastEventId,
  latest?.items,
]);

const theme = document.querySelector<StorageSyncElement<{ dark: boolean }>>('storage-sync')!;
const dark: boolean = theme.value.dark;
theme.value = { dark: false };
// @ts-expect-error a wrong value is refused
theme.value = { dark: 'no' };
const storeValue: { dark: boolean } = theme.snapshot.value;
// @ts-expect-error storage-sync snapshots have no data
void theme.snapshot.data;

// validate: a schema of the payload type, or a function returning it.
cart.validate = z.object({ items: z.number() });
cart.validate = v.object({ items: v.number() });
cart.validate = (raw) => raw as CartMsg;
// @ts-expect-error a schema of another type is refused
cart.validate = z.object({ items: z.string() });
// @ts-expect-error a validator returning another type is refused
cart.validate = (raw: unknown) => String(raw);

// The adapters follow the element's type.
const ref = { current: cart as TabChannelElement<CartMsg> | null };
export const hook = () => {
  const snapshot = useRealtime(ref);
  // @ts-expect-error the hook's snapshot data is a CartMsg
  const wrong: string | undefined = snapshot?.data?.items;
  return [snapshot?.data?.items, wrong];
};
const vueSnapshot = useVueRealtime(shallowRef<TabChannelElement<CartMsg> | null>(null));
const vueItems: number | undefined = vueSnapshot.value?.data?.items;
const signal = realtimeSignal(cart);
const angularItems: number | undefined = signal()?.data?.items;

export { data, sure, dark, storeValue, vueItems, angularItems };

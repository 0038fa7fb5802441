// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/socket-relay-define.js';
import type { RealtimeCloseEvent, SocketRelayElement } from '../../src/index.js';

const relay: SocketRelayElement = document.createElement('socket-relay');
relay.auth = async () => 'token';
relay.auth = 'static-token';
relay.type = 'binary';
const sent: boolean = relay.send({ any: 'json' }, { topic: 'room' });
relay.addEventListener('close', (event) => {
  const close: RealtimeCloseEvent = event;
  return [close.code, close.reason, close.wasClean, close.willReconnect];
});
relay.addEventListener('message', (event) => {
  const hub: [unknown, string | undefined, string | undefined, string] = [
    event.data,
    event.topic,
    event.id,
    event.lastEventId,
  ];
  return hub;
});
// @ts-expect-error a relay message has no SSE event type
relay.addEventListener('message', (event) => event.eventType);
const lastError: string | undefined = relay.error?.code;
const numbers: number[] = [relay.readyState, relay.bufferedAmount, relay.queued, relay.retryCount];
relay.close(1000, 'bye');
// @ts-expect-error auth is a string or a function returning one
relay.auth = 42;
// @ts-expect-error type is text, json or binary
relay.type = 'xml';
export { sent, numbers, lastError };

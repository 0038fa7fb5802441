// React typings (frameworks/react.d.ts), checked by `tsc -p tsconfig.test.json` (never run).
import React from 'react';
import type {} from '../../frameworks/react.js';
import type {
  RealtimeErrorEvent,
  RealtimeMessageEvent,
  ValueChangeEvent,
} from '../../src/index.js';

export const ok = (
  <>
    <tab-channel
      name="chat"
      transport="cookie"
      echo
      onmessage={(event) => {
        const message: RealtimeMessageEvent = event;
        return message.data;
      }}
      onerror={(event) => event.code}
    />
    <storage-sync
      storage-key="draft"
      value={{ any: ['json'] }}
      onvaluechange={(event: ValueChangeEvent) => event.value}
    />
    <sse-feed
      src="/events"
      type="json"
      retry-min="500"
      retryMax={5000}
      headers={{ a: 'b' }}
      onmessage={(event) => event.eventType}
    />
    <socket-relay
      src="/ws"
      topic="chat"
      onclose={(event) => event.willReconnect}
      onmessage={(event) => [event.topic, event.id]}
    />
    <poll-feed src="/poll" long interval={1000} onmessage={(event) => event.topic} />
    <popup-bridge src="/popup" target-origin="https://example.com" />
    <sw-relay
      name="jobs"
      src="/worker.js"
      onupdate={() => undefined}
      onmessage={(event) => event.sender}
    />
  </>
);

export const wrongAttribute = (
  // @ts-expect-error transport is one of five names
  <tab-channel name="chat" transport="pigeon" />
);
export const wrongPayload = (
  // @ts-expect-error an error event has no data
  <sse-feed src="/events" onerror={(event: RealtimeErrorEvent) => event.data} />
);
export const wrongHandler = (
  // @ts-expect-error a message handler gets a RealtimeMessageEvent, not a ValueChangeEvent
  <tab-channel name="chat" onmessage={(event: ValueChangeEvent) => event.oldValue} />
);
export const readOnly = (
  // @ts-expect-error state is read-only: not a prop
  <sse-feed src="/events" state="open" />
);

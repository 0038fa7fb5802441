export {
  TabChannelElement,
  type TabChannelEventMap,
  type TabChannelTransport,
} from './tab-channel.js';
export { StorageSyncElement, type StorageSyncEventMap } from './storage-sync.js';
export { SseFeedElement, type SseFeedEventMap } from './sse-feed.js';
export { PollFeedElement, type PollFeedEventMap } from './poll-feed.js';
export { SocketRelayElement, type SocketRelayEventMap } from './socket-relay.js';
export { SwRelayElement, RelayRequestError, type SwRelayEventMap } from './sw-relay.js';
export {
  PopupBridgeElement,
  BridgeRequestError,
  type PopupBridgeEventMap,
  type PopupMessageEvent,
} from './popup-bridge.js';
export {
  RealtimeErrorEvent,
  RealtimeMessageEvent,
  StateChangeEvent,
  ValueChangeEvent,
  RealtimeCloseEvent,
  ResetEvent,
  type ConnectionState,
  type RealtimeEventMap,
  type SseMessageEvent,
  type HubMessageEvent,
  type SwRelayMessageEvent,
} from './internal/events.js';
export {
  ReconnectController,
  backoffDelay,
  defaultReconnectPolicy,
  type ReconnectPolicy,
} from './internal/reconnect-controller.js';
export type { StorageValueType } from './internal/storage-codec.js';
export { SseParser, type ParsedEvent } from './internal/sse-parser.js';
export type {
  RealtimeSnapshot,
  StorageSnapshot,
  Readable,
  SnapshotOf,
  PayloadOf,
} from './internal/realtime-element.js';
export type {
  Validator,
  StandardSchemaV1,
  StandardSchemaResult,
  ValidationIssue,
} from './internal/validation.js';

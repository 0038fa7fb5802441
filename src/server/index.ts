export { createHub, type Hub, type HubRequest, type HubResponse } from './hub.js';
export { HubError, type ResolvedHubOptions } from './core.js';
export { MemoryStore, parseCursor } from './memory-store.js';
export { closeCodes } from './ws-relay.js';
export type {
  AuthGrant,
  AuthorizeRequest,
  DisconnectSelector,
  HubConnection,
  HubAction,
  HubEvent,
  HubOptions,
  HubStore,
  Replay,
  TopicInfo,
} from './types.js';
export type { MetricsOptions } from './metrics.js';
export type { RedisStoreOptions } from './redis-store.js';
export type { CompressionOptions } from './compression.js';

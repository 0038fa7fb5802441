export { createHub, type Hub } from './hub.js';
export { HubError, type ResolvedHubOptions } from './core.js';
export { MemoryStore, parseCursor } from './memory-store.js';
export { closeCodes } from './ws-relay.js';
export type {
  AuthorizeRequest,
  HubAction,
  HubEvent,
  HubOptions,
  HubStore,
  Replay,
} from './types.js';
export type { RedisStoreOptions } from './redis-store.js';

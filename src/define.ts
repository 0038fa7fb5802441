/** Defines every element under its default tag. */
export * from './tab-channel-define.js';
export * from './storage-sync-define.js';
export * from './sse-feed-define.js';
export * from './socket-relay-define.js';
export * from './popup-bridge-define.js';
export * from './sw-relay-define.js';
export * from './poll-feed-define.js';

export { TabChannelElement, type TabChannelEventMap } from './tab-channel.js';
export {
  RealtimeErrorEvent,
  RealtimeMessageEvent,
  StateChangeEvent,
  type ConnectionState,
  type RealtimeEventMap,
} from './internal/events.js';
export {
  ReconnectController,
  backoffDelay,
  defaultReconnectPolicy,
  type ReconnectPolicy,
} from './internal/reconnect-controller.js';

// Vue typings for realtime-elements' tags. Generated from custom-elements.json by
// `npm run docs`: do not edit.
import type {
  PollFeedElement,
  PollFeedEventMap,
  PopupBridgeElement,
  PopupBridgeEventMap,
  SocketRelayElement,
  SocketRelayEventMap,
  SseFeedElement,
  SseFeedEventMap,
  StorageSyncElement,
  StorageSyncEventMap,
  SwRelayElement,
  SwRelayEventMap,
  TabChannelElement,
  TabChannelEventMap,
} from '../dist/index.js';
import type { DefineComponent } from 'vue';

declare module 'vue' {
  interface GlobalComponents {
    'poll-feed': DefineComponent<{
      src?: PollFeedElement['src'];
      interval?: PollFeedElement['interval'];
      timeout?: PollFeedElement['timeout'];
      type?: PollFeedElement['type'];
      long?: PollFeedElement['long'];
      pollHidden?: PollFeedElement['pollHidden'];
      withCredentials?: PollFeedElement['withCredentials'];
      method?: PollFeedElement['method'];
      body?: PollFeedElement['body'];
      headers?: PollFeedElement['headers'];
      rewind?: PollFeedElement['rewind'];
      retryMin?: PollFeedElement['retryMin'];
      retryMax?: PollFeedElement['retryMax'];
      maxRetries?: PollFeedElement['maxRetries'];
      shared?: PollFeedElement['shared'];
      refresh?: PollFeedElement['refresh'];
      refreshTimeout?: PollFeedElement['refreshTimeout'];
      disabled?: PollFeedElement['disabled'];
      validate?: PollFeedElement['validate'];
      'poll-hidden'?: boolean;
      'with-credentials'?: boolean;
      'last-event-id'?: string;
      'retry-min'?: number | string;
      'retry-max'?: number | string;
      'max-retries'?: number | string;
      onMessage?: (event: PollFeedEventMap['message']) => void;
      onOpen?: (event: PollFeedEventMap['open']) => void;
      onReset?: (event: PollFeedEventMap['reset']) => void;
      onAuthrefresh?: (event: PollFeedEventMap['authrefresh']) => void;
      onError?: (event: PollFeedEventMap['error']) => void;
      onStatechange?: (event: PollFeedEventMap['statechange']) => void;
    }>;
    'popup-bridge': DefineComponent<{
      src?: PopupBridgeElement['src'];
      name?: PopupBridgeElement['name'];
      features?: PopupBridgeElement['features'];
      for?: PopupBridgeElement['for'];
      targetOrigin?: PopupBridgeElement['targetOrigin'];
      queueLimit?: PopupBridgeElement['queueLimit'];
      disabled?: PopupBridgeElement['disabled'];
      validate?: PopupBridgeElement['validate'];
      'target-origin'?: string;
      'queue-limit'?: number | string;
      onMessage?: (event: PopupBridgeEventMap['message']) => void;
      onOpen?: (event: PopupBridgeEventMap['open']) => void;
      onClose?: (event: PopupBridgeEventMap['close']) => void;
      onError?: (event: PopupBridgeEventMap['error']) => void;
      onStatechange?: (event: PopupBridgeEventMap['statechange']) => void;
    }>;
    'socket-relay': DefineComponent<{
      src?: SocketRelayElement['src'];
      topic?: SocketRelayElement['topic'];
      raw?: SocketRelayElement['raw'];
      type?: SocketRelayElement['type'];
      protocols?: SocketRelayElement['protocols'];
      echo?: SocketRelayElement['echo'];
      queueLimit?: SocketRelayElement['queueLimit'];
      connectTimeout?: SocketRelayElement['connectTimeout'];
      heartbeatInterval?: SocketRelayElement['heartbeatInterval'];
      heartbeatTimeout?: SocketRelayElement['heartbeatTimeout'];
      pingMessage?: SocketRelayElement['pingMessage'];
      stopCodes?: SocketRelayElement['stopCodes'];
      rewind?: SocketRelayElement['rewind'];
      auth?: SocketRelayElement['auth'];
      retryMin?: SocketRelayElement['retryMin'];
      retryMax?: SocketRelayElement['retryMax'];
      maxRetries?: SocketRelayElement['maxRetries'];
      shared?: SocketRelayElement['shared'];
      refresh?: SocketRelayElement['refresh'];
      refreshTimeout?: SocketRelayElement['refreshTimeout'];
      disabled?: SocketRelayElement['disabled'];
      validate?: SocketRelayElement['validate'];
      'last-event-id'?: string;
      'queue-limit'?: number | string;
      'retry-min'?: number | string;
      'retry-max'?: number | string;
      'max-retries'?: number | string;
      'connect-timeout'?: number | string;
      'heartbeat-interval'?: number | string;
      'heartbeat-timeout'?: number | string;
      'ping-message'?: string;
      'stop-codes'?: string;
      onMessage?: (event: SocketRelayEventMap['message']) => void;
      onOpen?: (event: SocketRelayEventMap['open']) => void;
      onClose?: (event: SocketRelayEventMap['close']) => void;
      onAuthrefresh?: (event: SocketRelayEventMap['authrefresh']) => void;
      onPresencechange?: (event: SocketRelayEventMap['presencechange']) => void;
      onReset?: (event: SocketRelayEventMap['reset']) => void;
      onError?: (event: SocketRelayEventMap['error']) => void;
      onStatechange?: (event: SocketRelayEventMap['statechange']) => void;
    }>;
    'sse-feed': DefineComponent<{
      src?: SseFeedElement['src'];
      mode?: SseFeedElement['mode'];
      events?: SseFeedElement['events'];
      type?: SseFeedElement['type'];
      withCredentials?: SseFeedElement['withCredentials'];
      method?: SseFeedElement['method'];
      connectTimeout?: SseFeedElement['connectTimeout'];
      heartbeatTimeout?: SseFeedElement['heartbeatTimeout'];
      pauseHidden?: SseFeedElement['pauseHidden'];
      once?: SseFeedElement['once'];
      doneEvent?: SseFeedElement['doneEvent'];
      doneData?: SseFeedElement['doneData'];
      rewind?: SseFeedElement['rewind'];
      body?: SseFeedElement['body'];
      headers?: SseFeedElement['headers'];
      retryMin?: SseFeedElement['retryMin'];
      retryMax?: SseFeedElement['retryMax'];
      maxRetries?: SseFeedElement['maxRetries'];
      shared?: SseFeedElement['shared'];
      refresh?: SseFeedElement['refresh'];
      refreshTimeout?: SseFeedElement['refreshTimeout'];
      disabled?: SseFeedElement['disabled'];
      validate?: SseFeedElement['validate'];
      'with-credentials'?: boolean;
      'last-event-id'?: string;
      'retry-min'?: number | string;
      'retry-max'?: number | string;
      'max-retries'?: number | string;
      'connect-timeout'?: number | string;
      'heartbeat-timeout'?: number | string;
      'pause-hidden'?: boolean;
      'done-event'?: string;
      'done-data'?: string;
      onMessage?: (event: SseFeedEventMap['message']) => void;
      onOpen?: (event: SseFeedEventMap['open']) => void;
      onClose?: (event: SseFeedEventMap['close']) => void;
      onReset?: (event: SseFeedEventMap['reset']) => void;
      onDone?: (event: SseFeedEventMap['done']) => void;
      onAuthrefresh?: (event: SseFeedEventMap['authrefresh']) => void;
      onError?: (event: SseFeedEventMap['error']) => void;
      onStatechange?: (event: SseFeedEventMap['statechange']) => void;
    }>;
    'storage-sync': DefineComponent<{
      storage?: StorageSyncElement['storage'];
      type?: StorageSyncElement['type'];
      defaultValue?: StorageSyncElement['defaultValue'];
      migrate?: StorageSyncElement['migrate'];
      serializer?: StorageSyncElement['serializer'];
      storageKey?: StorageSyncElement['storageKey'];
      value?: StorageSyncElement['value'];
      disabled?: StorageSyncElement['disabled'];
      validate?: StorageSyncElement['validate'];
      'storage-key'?: string;
      default?: string;
      version?: number | string;
      'max-age'?: number | string;
      'merge-defaults'?: boolean;
      throttle?: number | string;
      onValuechange?: (event: StorageSyncEventMap['valuechange']) => void;
      onOpen?: (event: StorageSyncEventMap['open']) => void;
      onError?: (event: StorageSyncEventMap['error']) => void;
      onStatechange?: (event: StorageSyncEventMap['statechange']) => void;
    }>;
    'sw-relay': DefineComponent<{
      name?: SwRelayElement['name'];
      src?: SwRelayElement['src'];
      scope?: SwRelayElement['scope'];
      echo?: SwRelayElement['echo'];
      queueLimit?: SwRelayElement['queueLimit'];
      disabled?: SwRelayElement['disabled'];
      validate?: SwRelayElement['validate'];
      'queue-limit'?: number | string;
      onMessage?: (event: SwRelayEventMap['message']) => void;
      onOpen?: (event: SwRelayEventMap['open']) => void;
      onUpdate?: (event: SwRelayEventMap['update']) => void;
      onError?: (event: SwRelayEventMap['error']) => void;
      onStatechange?: (event: SwRelayEventMap['statechange']) => void;
    }>;
    'tab-channel': DefineComponent<{
      name?: TabChannelElement['name'];
      echo?: TabChannelElement['echo'];
      transport?: TabChannelElement['transport'];
      domain?: TabChannelElement['domain'];
      elect?: TabChannelElement['elect'];
      disabled?: TabChannelElement['disabled'];
      validate?: TabChannelElement['validate'];
      'prefer-visible'?: boolean;
      retain?: boolean;
      presence?: boolean;
      onMessage?: (event: TabChannelEventMap['message']) => void;
      onOpen?: (event: TabChannelEventMap['open']) => void;
      onLeaderchange?: (event: TabChannelEventMap['leaderchange']) => void;
      onPeerschange?: (event: TabChannelEventMap['peerschange']) => void;
      onClose?: (event: TabChannelEventMap['close']) => void;
      onError?: (event: TabChannelEventMap['error']) => void;
      onStatechange?: (event: TabChannelEventMap['statechange']) => void;
    }>;
  }
}

// The entry point's own exports (useRealtime).
export * from '../dist/vue.js';

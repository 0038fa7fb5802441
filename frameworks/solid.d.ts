// Solid typings for realtime-elements' tags. Generated from custom-elements.json by
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

declare module 'solid-js' {
  namespace JSX {
    interface IntrinsicElements {
      'poll-feed': Omit<
        JSX.HTMLAttributes<PollFeedElement>,
        | 'src'
        | 'interval'
        | 'timeout'
        | 'type'
        | 'long'
        | 'pollHidden'
        | 'withCredentials'
        | 'method'
        | 'body'
        | 'headers'
        | 'rewind'
        | 'retryMin'
        | 'retryMax'
        | 'maxRetries'
        | 'shared'
        | 'refresh'
        | 'refreshTimeout'
        | 'disabled'
        | 'validate'
        | 'poll-hidden'
        | 'with-credentials'
        | 'last-event-id'
        | 'retry-min'
        | 'retry-max'
        | 'max-retries'
        | 'prop:src'
        | 'prop:interval'
        | 'prop:timeout'
        | 'prop:type'
        | 'prop:long'
        | 'prop:pollHidden'
        | 'prop:withCredentials'
        | 'prop:method'
        | 'prop:body'
        | 'prop:headers'
        | 'prop:rewind'
        | 'prop:retryMin'
        | 'prop:retryMax'
        | 'prop:maxRetries'
        | 'prop:shared'
        | 'prop:refresh'
        | 'prop:refreshTimeout'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:message'
        | 'on:open'
        | 'on:reset'
        | 'on:authrefresh'
        | 'on:error'
        | 'on:statechange'
      > & {
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
        'prop:src'?: PollFeedElement['src'];
        'prop:interval'?: PollFeedElement['interval'];
        'prop:timeout'?: PollFeedElement['timeout'];
        'prop:type'?: PollFeedElement['type'];
        'prop:long'?: PollFeedElement['long'];
        'prop:pollHidden'?: PollFeedElement['pollHidden'];
        'prop:withCredentials'?: PollFeedElement['withCredentials'];
        'prop:method'?: PollFeedElement['method'];
        'prop:body'?: PollFeedElement['body'];
        'prop:headers'?: PollFeedElement['headers'];
        'prop:rewind'?: PollFeedElement['rewind'];
        'prop:retryMin'?: PollFeedElement['retryMin'];
        'prop:retryMax'?: PollFeedElement['retryMax'];
        'prop:maxRetries'?: PollFeedElement['maxRetries'];
        'prop:shared'?: PollFeedElement['shared'];
        'prop:refresh'?: PollFeedElement['refresh'];
        'prop:refreshTimeout'?: PollFeedElement['refreshTimeout'];
        'prop:disabled'?: PollFeedElement['disabled'];
        'prop:validate'?: PollFeedElement['validate'];
        'on:message'?: (event: PollFeedEventMap['message']) => void;
        'on:open'?: (event: PollFeedEventMap['open']) => void;
        'on:reset'?: (event: PollFeedEventMap['reset']) => void;
        'on:authrefresh'?: (event: PollFeedEventMap['authrefresh']) => void;
        'on:error'?: (event: PollFeedEventMap['error']) => void;
        'on:statechange'?: (event: PollFeedEventMap['statechange']) => void;
      };
      'popup-bridge': Omit<
        JSX.HTMLAttributes<PopupBridgeElement>,
        | 'src'
        | 'name'
        | 'features'
        | 'for'
        | 'targetOrigin'
        | 'queueLimit'
        | 'disabled'
        | 'validate'
        | 'target-origin'
        | 'queue-limit'
        | 'prop:src'
        | 'prop:name'
        | 'prop:features'
        | 'prop:for'
        | 'prop:targetOrigin'
        | 'prop:queueLimit'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:message'
        | 'on:open'
        | 'on:close'
        | 'on:error'
        | 'on:statechange'
      > & {
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
        'prop:src'?: PopupBridgeElement['src'];
        'prop:name'?: PopupBridgeElement['name'];
        'prop:features'?: PopupBridgeElement['features'];
        'prop:for'?: PopupBridgeElement['for'];
        'prop:targetOrigin'?: PopupBridgeElement['targetOrigin'];
        'prop:queueLimit'?: PopupBridgeElement['queueLimit'];
        'prop:disabled'?: PopupBridgeElement['disabled'];
        'prop:validate'?: PopupBridgeElement['validate'];
        'on:message'?: (event: PopupBridgeEventMap['message']) => void;
        'on:open'?: (event: PopupBridgeEventMap['open']) => void;
        'on:close'?: (event: PopupBridgeEventMap['close']) => void;
        'on:error'?: (event: PopupBridgeEventMap['error']) => void;
        'on:statechange'?: (event: PopupBridgeEventMap['statechange']) => void;
      };
      'socket-relay': Omit<
        JSX.HTMLAttributes<SocketRelayElement>,
        | 'src'
        | 'topic'
        | 'raw'
        | 'type'
        | 'protocols'
        | 'echo'
        | 'queueLimit'
        | 'connectTimeout'
        | 'heartbeatInterval'
        | 'heartbeatTimeout'
        | 'pingMessage'
        | 'stopCodes'
        | 'rewind'
        | 'auth'
        | 'retryMin'
        | 'retryMax'
        | 'maxRetries'
        | 'shared'
        | 'refresh'
        | 'refreshTimeout'
        | 'disabled'
        | 'validate'
        | 'last-event-id'
        | 'queue-limit'
        | 'retry-min'
        | 'retry-max'
        | 'max-retries'
        | 'connect-timeout'
        | 'heartbeat-interval'
        | 'heartbeat-timeout'
        | 'ping-message'
        | 'stop-codes'
        | 'prop:src'
        | 'prop:topic'
        | 'prop:raw'
        | 'prop:type'
        | 'prop:protocols'
        | 'prop:echo'
        | 'prop:queueLimit'
        | 'prop:connectTimeout'
        | 'prop:heartbeatInterval'
        | 'prop:heartbeatTimeout'
        | 'prop:pingMessage'
        | 'prop:stopCodes'
        | 'prop:rewind'
        | 'prop:auth'
        | 'prop:retryMin'
        | 'prop:retryMax'
        | 'prop:maxRetries'
        | 'prop:shared'
        | 'prop:refresh'
        | 'prop:refreshTimeout'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:message'
        | 'on:open'
        | 'on:close'
        | 'on:authrefresh'
        | 'on:presencechange'
        | 'on:reset'
        | 'on:error'
        | 'on:statechange'
      > & {
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
        'prop:src'?: SocketRelayElement['src'];
        'prop:topic'?: SocketRelayElement['topic'];
        'prop:raw'?: SocketRelayElement['raw'];
        'prop:type'?: SocketRelayElement['type'];
        'prop:protocols'?: SocketRelayElement['protocols'];
        'prop:echo'?: SocketRelayElement['echo'];
        'prop:queueLimit'?: SocketRelayElement['queueLimit'];
        'prop:connectTimeout'?: SocketRelayElement['connectTimeout'];
        'prop:heartbeatInterval'?: SocketRelayElement['heartbeatInterval'];
        'prop:heartbeatTimeout'?: SocketRelayElement['heartbeatTimeout'];
        'prop:pingMessage'?: SocketRelayElement['pingMessage'];
        'prop:stopCodes'?: SocketRelayElement['stopCodes'];
        'prop:rewind'?: SocketRelayElement['rewind'];
        'prop:auth'?: SocketRelayElement['auth'];
        'prop:retryMin'?: SocketRelayElement['retryMin'];
        'prop:retryMax'?: SocketRelayElement['retryMax'];
        'prop:maxRetries'?: SocketRelayElement['maxRetries'];
        'prop:shared'?: SocketRelayElement['shared'];
        'prop:refresh'?: SocketRelayElement['refresh'];
        'prop:refreshTimeout'?: SocketRelayElement['refreshTimeout'];
        'prop:disabled'?: SocketRelayElement['disabled'];
        'prop:validate'?: SocketRelayElement['validate'];
        'on:message'?: (event: SocketRelayEventMap['message']) => void;
        'on:open'?: (event: SocketRelayEventMap['open']) => void;
        'on:close'?: (event: SocketRelayEventMap['close']) => void;
        'on:authrefresh'?: (event: SocketRelayEventMap['authrefresh']) => void;
        'on:presencechange'?: (event: SocketRelayEventMap['presencechange']) => void;
        'on:reset'?: (event: SocketRelayEventMap['reset']) => void;
        'on:error'?: (event: SocketRelayEventMap['error']) => void;
        'on:statechange'?: (event: SocketRelayEventMap['statechange']) => void;
      };
      'sse-feed': Omit<
        JSX.HTMLAttributes<SseFeedElement>,
        | 'src'
        | 'mode'
        | 'events'
        | 'type'
        | 'withCredentials'
        | 'method'
        | 'connectTimeout'
        | 'heartbeatTimeout'
        | 'pauseHidden'
        | 'once'
        | 'doneEvent'
        | 'doneData'
        | 'rewind'
        | 'body'
        | 'headers'
        | 'retryMin'
        | 'retryMax'
        | 'maxRetries'
        | 'shared'
        | 'refresh'
        | 'refreshTimeout'
        | 'disabled'
        | 'validate'
        | 'with-credentials'
        | 'last-event-id'
        | 'retry-min'
        | 'retry-max'
        | 'max-retries'
        | 'connect-timeout'
        | 'heartbeat-timeout'
        | 'pause-hidden'
        | 'done-event'
        | 'done-data'
        | 'prop:src'
        | 'prop:mode'
        | 'prop:events'
        | 'prop:type'
        | 'prop:withCredentials'
        | 'prop:method'
        | 'prop:connectTimeout'
        | 'prop:heartbeatTimeout'
        | 'prop:pauseHidden'
        | 'prop:once'
        | 'prop:doneEvent'
        | 'prop:doneData'
        | 'prop:rewind'
        | 'prop:body'
        | 'prop:headers'
        | 'prop:retryMin'
        | 'prop:retryMax'
        | 'prop:maxRetries'
        | 'prop:shared'
        | 'prop:refresh'
        | 'prop:refreshTimeout'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:message'
        | 'on:open'
        | 'on:close'
        | 'on:reset'
        | 'on:done'
        | 'on:authrefresh'
        | 'on:error'
        | 'on:statechange'
      > & {
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
        'prop:src'?: SseFeedElement['src'];
        'prop:mode'?: SseFeedElement['mode'];
        'prop:events'?: SseFeedElement['events'];
        'prop:type'?: SseFeedElement['type'];
        'prop:withCredentials'?: SseFeedElement['withCredentials'];
        'prop:method'?: SseFeedElement['method'];
        'prop:connectTimeout'?: SseFeedElement['connectTimeout'];
        'prop:heartbeatTimeout'?: SseFeedElement['heartbeatTimeout'];
        'prop:pauseHidden'?: SseFeedElement['pauseHidden'];
        'prop:once'?: SseFeedElement['once'];
        'prop:doneEvent'?: SseFeedElement['doneEvent'];
        'prop:doneData'?: SseFeedElement['doneData'];
        'prop:rewind'?: SseFeedElement['rewind'];
        'prop:body'?: SseFeedElement['body'];
        'prop:headers'?: SseFeedElement['headers'];
        'prop:retryMin'?: SseFeedElement['retryMin'];
        'prop:retryMax'?: SseFeedElement['retryMax'];
        'prop:maxRetries'?: SseFeedElement['maxRetries'];
        'prop:shared'?: SseFeedElement['shared'];
        'prop:refresh'?: SseFeedElement['refresh'];
        'prop:refreshTimeout'?: SseFeedElement['refreshTimeout'];
        'prop:disabled'?: SseFeedElement['disabled'];
        'prop:validate'?: SseFeedElement['validate'];
        'on:message'?: (event: SseFeedEventMap['message']) => void;
        'on:open'?: (event: SseFeedEventMap['open']) => void;
        'on:close'?: (event: SseFeedEventMap['close']) => void;
        'on:reset'?: (event: SseFeedEventMap['reset']) => void;
        'on:done'?: (event: SseFeedEventMap['done']) => void;
        'on:authrefresh'?: (event: SseFeedEventMap['authrefresh']) => void;
        'on:error'?: (event: SseFeedEventMap['error']) => void;
        'on:statechange'?: (event: SseFeedEventMap['statechange']) => void;
      };
      'storage-sync': Omit<
        JSX.HTMLAttributes<StorageSyncElement>,
        | 'key'
        | 'storage'
        | 'type'
        | 'defaultValue'
        | 'migrate'
        | 'serializer'
        | 'storageKey'
        | 'value'
        | 'disabled'
        | 'validate'
        | 'storage-key'
        | 'default'
        | 'version'
        | 'max-age'
        | 'merge-defaults'
        | 'throttle'
        | 'prop:key'
        | 'prop:storage'
        | 'prop:type'
        | 'prop:defaultValue'
        | 'prop:migrate'
        | 'prop:serializer'
        | 'prop:storageKey'
        | 'prop:value'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:valuechange'
        | 'on:open'
        | 'on:error'
        | 'on:statechange'
      > & {
        key?: StorageSyncElement['key'];
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
        'prop:key'?: StorageSyncElement['key'];
        'prop:storage'?: StorageSyncElement['storage'];
        'prop:type'?: StorageSyncElement['type'];
        'prop:defaultValue'?: StorageSyncElement['defaultValue'];
        'prop:migrate'?: StorageSyncElement['migrate'];
        'prop:serializer'?: StorageSyncElement['serializer'];
        'prop:storageKey'?: StorageSyncElement['storageKey'];
        'prop:value'?: StorageSyncElement['value'];
        'prop:disabled'?: StorageSyncElement['disabled'];
        'prop:validate'?: StorageSyncElement['validate'];
        'on:valuechange'?: (event: StorageSyncEventMap['valuechange']) => void;
        'on:open'?: (event: StorageSyncEventMap['open']) => void;
        'on:error'?: (event: StorageSyncEventMap['error']) => void;
        'on:statechange'?: (event: StorageSyncEventMap['statechange']) => void;
      };
      'sw-relay': Omit<
        JSX.HTMLAttributes<SwRelayElement>,
        | 'name'
        | 'src'
        | 'scope'
        | 'echo'
        | 'queueLimit'
        | 'disabled'
        | 'validate'
        | 'queue-limit'
        | 'prop:name'
        | 'prop:src'
        | 'prop:scope'
        | 'prop:echo'
        | 'prop:queueLimit'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:message'
        | 'on:open'
        | 'on:update'
        | 'on:error'
        | 'on:statechange'
      > & {
        name?: SwRelayElement['name'];
        src?: SwRelayElement['src'];
        scope?: SwRelayElement['scope'];
        echo?: SwRelayElement['echo'];
        queueLimit?: SwRelayElement['queueLimit'];
        disabled?: SwRelayElement['disabled'];
        validate?: SwRelayElement['validate'];
        'queue-limit'?: number | string;
        'prop:name'?: SwRelayElement['name'];
        'prop:src'?: SwRelayElement['src'];
        'prop:scope'?: SwRelayElement['scope'];
        'prop:echo'?: SwRelayElement['echo'];
        'prop:queueLimit'?: SwRelayElement['queueLimit'];
        'prop:disabled'?: SwRelayElement['disabled'];
        'prop:validate'?: SwRelayElement['validate'];
        'on:message'?: (event: SwRelayEventMap['message']) => void;
        'on:open'?: (event: SwRelayEventMap['open']) => void;
        'on:update'?: (event: SwRelayEventMap['update']) => void;
        'on:error'?: (event: SwRelayEventMap['error']) => void;
        'on:statechange'?: (event: SwRelayEventMap['statechange']) => void;
      };
      'tab-channel': Omit<
        JSX.HTMLAttributes<TabChannelElement>,
        | 'name'
        | 'echo'
        | 'transport'
        | 'domain'
        | 'elect'
        | 'disabled'
        | 'validate'
        | 'prefer-visible'
        | 'retain'
        | 'presence'
        | 'prop:name'
        | 'prop:echo'
        | 'prop:transport'
        | 'prop:domain'
        | 'prop:elect'
        | 'prop:disabled'
        | 'prop:validate'
        | 'on:message'
        | 'on:open'
        | 'on:leaderchange'
        | 'on:peerschange'
        | 'on:close'
        | 'on:error'
        | 'on:statechange'
      > & {
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
        'prop:name'?: TabChannelElement['name'];
        'prop:echo'?: TabChannelElement['echo'];
        'prop:transport'?: TabChannelElement['transport'];
        'prop:domain'?: TabChannelElement['domain'];
        'prop:elect'?: TabChannelElement['elect'];
        'prop:disabled'?: TabChannelElement['disabled'];
        'prop:validate'?: TabChannelElement['validate'];
        'on:message'?: (event: TabChannelEventMap['message']) => void;
        'on:open'?: (event: TabChannelEventMap['open']) => void;
        'on:leaderchange'?: (event: TabChannelEventMap['leaderchange']) => void;
        'on:peerschange'?: (event: TabChannelEventMap['peerschange']) => void;
        'on:close'?: (event: TabChannelEventMap['close']) => void;
        'on:error'?: (event: TabChannelEventMap['error']) => void;
        'on:statechange'?: (event: TabChannelEventMap['statechange']) => void;
      };
    }
  }
}

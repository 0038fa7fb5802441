// Preact typings for realtime-elements' tags. Generated from custom-elements.json by
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
import type { JSX as PreactJSX } from 'preact';

declare module 'preact' {
  namespace JSX {
    interface IntrinsicElements {
      'poll-feed': Omit<
        PreactJSX.HTMLAttributes<PollFeedElement>,
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
        | 'onmessage'
        | 'onopen'
        | 'onreset'
        | 'onauthrefresh'
        | 'onerror'
        | 'onstatechange'
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
        onmessage?: (event: PollFeedEventMap['message']) => void;
        onopen?: (event: PollFeedEventMap['open']) => void;
        onreset?: (event: PollFeedEventMap['reset']) => void;
        onauthrefresh?: (event: PollFeedEventMap['authrefresh']) => void;
        onerror?: (event: PollFeedEventMap['error']) => void;
        onstatechange?: (event: PollFeedEventMap['statechange']) => void;
      };
      'popup-bridge': Omit<
        PreactJSX.HTMLAttributes<PopupBridgeElement>,
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
        | 'onmessage'
        | 'onopen'
        | 'onclose'
        | 'onerror'
        | 'onstatechange'
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
        onmessage?: (event: PopupBridgeEventMap['message']) => void;
        onopen?: (event: PopupBridgeEventMap['open']) => void;
        onclose?: (event: PopupBridgeEventMap['close']) => void;
        onerror?: (event: PopupBridgeEventMap['error']) => void;
        onstatechange?: (event: PopupBridgeEventMap['statechange']) => void;
      };
      'socket-relay': Omit<
        PreactJSX.HTMLAttributes<SocketRelayElement>,
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
        | 'onmessage'
        | 'onopen'
        | 'onclose'
        | 'onauthrefresh'
        | 'onpresencechange'
        | 'onreset'
        | 'onerror'
        | 'onstatechange'
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
        onmessage?: (event: SocketRelayEventMap['message']) => void;
        onopen?: (event: SocketRelayEventMap['open']) => void;
        onclose?: (event: SocketRelayEventMap['close']) => void;
        onauthrefresh?: (event: SocketRelayEventMap['authrefresh']) => void;
        onpresencechange?: (event: SocketRelayEventMap['presencechange']) => void;
        onreset?: (event: SocketRelayEventMap['reset']) => void;
        onerror?: (event: SocketRelayEventMap['error']) => void;
        onstatechange?: (event: SocketRelayEventMap['statechange']) => void;
      };
      'sse-feed': Omit<
        PreactJSX.HTMLAttributes<SseFeedElement>,
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
        | 'onmessage'
        | 'onopen'
        | 'onclose'
        | 'onreset'
        | 'ondone'
        | 'onauthrefresh'
        | 'onerror'
        | 'onstatechange'
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
        onmessage?: (event: SseFeedEventMap['message']) => void;
        onopen?: (event: SseFeedEventMap['open']) => void;
        onclose?: (event: SseFeedEventMap['close']) => void;
        onreset?: (event: SseFeedEventMap['reset']) => void;
        ondone?: (event: SseFeedEventMap['done']) => void;
        onauthrefresh?: (event: SseFeedEventMap['authrefresh']) => void;
        onerror?: (event: SseFeedEventMap['error']) => void;
        onstatechange?: (event: SseFeedEventMap['statechange']) => void;
      };
      'storage-sync': Omit<
        PreactJSX.HTMLAttributes<StorageSyncElement>,
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
        | 'onvaluechange'
        | 'onopen'
        | 'onerror'
        | 'onstatechange'
      > & {
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
        onvaluechange?: (event: StorageSyncEventMap['valuechange']) => void;
        onopen?: (event: StorageSyncEventMap['open']) => void;
        onerror?: (event: StorageSyncEventMap['error']) => void;
        onstatechange?: (event: StorageSyncEventMap['statechange']) => void;
      };
      'sw-relay': Omit<
        PreactJSX.HTMLAttributes<SwRelayElement>,
        | 'name'
        | 'src'
        | 'scope'
        | 'echo'
        | 'queueLimit'
        | 'disabled'
        | 'validate'
        | 'queue-limit'
        | 'onmessage'
        | 'onopen'
        | 'onupdate'
        | 'onerror'
        | 'onstatechange'
      > & {
        name?: SwRelayElement['name'];
        src?: SwRelayElement['src'];
        scope?: SwRelayElement['scope'];
        echo?: SwRelayElement['echo'];
        queueLimit?: SwRelayElement['queueLimit'];
        disabled?: SwRelayElement['disabled'];
        validate?: SwRelayElement['validate'];
        'queue-limit'?: number | string;
        onmessage?: (event: SwRelayEventMap['message']) => void;
        onopen?: (event: SwRelayEventMap['open']) => void;
        onupdate?: (event: SwRelayEventMap['update']) => void;
        onerror?: (event: SwRelayEventMap['error']) => void;
        onstatechange?: (event: SwRelayEventMap['statechange']) => void;
      };
      'tab-channel': Omit<
        PreactJSX.HTMLAttributes<TabChannelElement>,
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
        | 'onmessage'
        | 'onopen'
        | 'onleaderchange'
        | 'onpeerschange'
        | 'onclose'
        | 'onerror'
        | 'onstatechange'
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
        onmessage?: (event: TabChannelEventMap['message']) => void;
        onopen?: (event: TabChannelEventMap['open']) => void;
        onleaderchange?: (event: TabChannelEventMap['leaderchange']) => void;
        onpeerschange?: (event: TabChannelEventMap['peerschange']) => void;
        onclose?: (event: TabChannelEventMap['close']) => void;
        onerror?: (event: TabChannelEventMap['error']) => void;
        onstatechange?: (event: TabChannelEventMap['statechange']) => void;
      };
    }
  }
}

// Wrapper components of realtime-elements' tags for React 18 and older (`@lit/react`).
// Generated from custom-elements.json by `npm run docs`: do not edit.
import type { EventName } from '@lit/react';
import type * as ReactModule from 'react';
import './define.js';
import { wrap } from './internal/react-wrapper.js';
import { realtimeHook } from './internal/use-realtime.js';
import {
  PollFeedElement,
  type PollFeedEventMap,
  PopupBridgeElement,
  type PopupBridgeEventMap,
  SocketRelayElement,
  type SocketRelayEventMap,
  SseFeedElement,
  type SseFeedEventMap,
  StorageSyncElement,
  type StorageSyncEventMap,
  SwRelayElement,
  type SwRelayEventMap,
  TabChannelElement,
  type TabChannelEventMap,
} from './index.js';

/**
 * The components, made with the page's own React (any version `@lit/react` supports: 16.8 to
 * 19): `const { TabChannel, SseFeed, useRealtime } = createRealtimeComponents(React)`, once, at module level.
 * Props that are element properties are set as properties (objects stay objects); event props
 * are camel case (`onMessage`, `onStateChange`, `onValueChange` …), listening from mount to
 * unmount; `ref` is the element.
 * Importing this module defines every tag (`realtime-elements/define`).
 */
export function createRealtimeComponents(react: typeof ReactModule) {
  return {
    /** `useRealtime(ref)` of `realtime-elements/react`, run by this React (18 or later). */
    useRealtime: realtimeHook(react),
    PollFeed: wrap(react, {
      tagName: 'poll-feed',
      elementClass: PollFeedElement,
      displayName: 'PollFeed',
      events: {
        onMessage: 'message' as EventName<PollFeedEventMap['message']>,
        onOpen: 'open' as EventName<PollFeedEventMap['open']>,
        onReset: 'reset' as EventName<PollFeedEventMap['reset']>,
        onAuthRefresh: 'authrefresh' as EventName<PollFeedEventMap['authrefresh']>,
        onError: 'error' as EventName<PollFeedEventMap['error']>,
        onStateChange: 'statechange' as EventName<PollFeedEventMap['statechange']>,
      },
    }),
    PopupBridge: wrap(react, {
      tagName: 'popup-bridge',
      elementClass: PopupBridgeElement,
      displayName: 'PopupBridge',
      events: {
        onMessage: 'message' as EventName<PopupBridgeEventMap['message']>,
        onOpen: 'open' as EventName<PopupBridgeEventMap['open']>,
        onClose: 'close' as EventName<PopupBridgeEventMap['close']>,
        onError: 'error' as EventName<PopupBridgeEventMap['error']>,
        onStateChange: 'statechange' as EventName<PopupBridgeEventMap['statechange']>,
      },
    }),
    SocketRelay: wrap(react, {
      tagName: 'socket-relay',
      elementClass: SocketRelayElement,
      displayName: 'SocketRelay',
      events: {
        onMessage: 'message' as EventName<SocketRelayEventMap['message']>,
        onOpen: 'open' as EventName<SocketRelayEventMap['open']>,
        onClose: 'close' as EventName<SocketRelayEventMap['close']>,
        onAuthRefresh: 'authrefresh' as EventName<SocketRelayEventMap['authrefresh']>,
        onReset: 'reset' as EventName<SocketRelayEventMap['reset']>,
        onError: 'error' as EventName<SocketRelayEventMap['error']>,
        onStateChange: 'statechange' as EventName<SocketRelayEventMap['statechange']>,
      },
    }),
    SseFeed: wrap(react, {
      tagName: 'sse-feed',
      elementClass: SseFeedElement,
      displayName: 'SseFeed',
      events: {
        onMessage: 'message' as EventName<SseFeedEventMap['message']>,
        onOpen: 'open' as EventName<SseFeedEventMap['open']>,
        onClose: 'close' as EventName<SseFeedEventMap['close']>,
        onReset: 'reset' as EventName<SseFeedEventMap['reset']>,
        onDone: 'done' as EventName<SseFeedEventMap['done']>,
        onAuthRefresh: 'authrefresh' as EventName<SseFeedEventMap['authrefresh']>,
        onError: 'error' as EventName<SseFeedEventMap['error']>,
        onStateChange: 'statechange' as EventName<SseFeedEventMap['statechange']>,
      },
    }),
    StorageSync: wrap(react, {
      tagName: 'storage-sync',
      elementClass: StorageSyncElement,
      displayName: 'StorageSync',
      events: {
        onValueChange: 'valuechange' as EventName<StorageSyncEventMap['valuechange']>,
        onOpen: 'open' as EventName<StorageSyncEventMap['open']>,
        onError: 'error' as EventName<StorageSyncEventMap['error']>,
        onStateChange: 'statechange' as EventName<StorageSyncEventMap['statechange']>,
      },
    }),
    SwRelay: wrap(react, {
      tagName: 'sw-relay',
      elementClass: SwRelayElement,
      displayName: 'SwRelay',
      events: {
        onMessage: 'message' as EventName<SwRelayEventMap['message']>,
        onOpen: 'open' as EventName<SwRelayEventMap['open']>,
        onUpdate: 'update' as EventName<SwRelayEventMap['update']>,
        onError: 'error' as EventName<SwRelayEventMap['error']>,
        onStateChange: 'statechange' as EventName<SwRelayEventMap['statechange']>,
      },
    }),
    TabChannel: wrap(react, {
      tagName: 'tab-channel',
      elementClass: TabChannelElement,
      displayName: 'TabChannel',
      events: {
        onMessage: 'message' as EventName<TabChannelEventMap['message']>,
        onOpen: 'open' as EventName<TabChannelEventMap['open']>,
        onLeaderChange: 'leaderchange' as EventName<TabChannelEventMap['leaderchange']>,
        onClose: 'close' as EventName<TabChannelEventMap['close']>,
        onError: 'error' as EventName<TabChannelEventMap['error']>,
        onStateChange: 'statechange' as EventName<TabChannelEventMap['statechange']>,
      },
    }),
  };
}

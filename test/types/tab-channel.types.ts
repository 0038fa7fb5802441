// Type tests, checked by `tsc -p tsconfig.test.json` in `npm test` (never run).
import '../../src/tab-channel-define.js';
import type {
  TabChannelElement,
  RealtimeErrorEvent,
  RealtimeMessageEvent,
  StateChangeEvent,
} from '../../src/index.js';

const channel = document.createElement('tab-channel');
channel.addEventListener('message', (event) => {
  const message: RealtimeMessageEvent = event;
  return [message.data, message.origin];
});
// @ts-expect-error a tab message has no eventType
channel.addEventListener('message', (event) => event.eventType);
channel.addEventListener('message', (event) => {
  const retained: boolean | undefined = event.retained;
  event.reply?.({ ok: true });
  return [retained, event.sender];
});
channel.addEventListener('leaderchange', (event) => {
  const id: string = event.leaderId;
  const leading: boolean = event.leader;
  return [id, leading];
});
void channel.request({ job: 1 }, { to: 'leader', timeout: 500 }).catch((error: unknown) => {
  const failure = error as import('../../src/tab-channel.js').TabRequestError;
  const code: 'timeout' | 'no-leader' | 'closed' = failure.code;
  return code;
});
const peers: { tabId: string; visible: boolean; leader: boolean; since: number }[] = channel.peers;
const ids: string[] = [channel.tabId, channel.leaderId];
void channel.claim();
void channel.clearRetained();
const lastError: RealtimeErrorEvent | null = channel.error;
channel.addEventListener('error', (event) => {
  const code: string = event.code;
  const error: RealtimeErrorEvent = event;
  return [code, error];
});
channel.addEventListener('statechange', (event) => {
  const change: StateChangeEvent = event;
  return change.previousState;
});
const queried: TabChannelElement | null = document.querySelector('tab-channel');
channel.post({ any: 'cloneable value' });
// @ts-expect-error name is a string
channel.name = 42;
channel.transport = 'cookie';
channel.domain = 'example.com';
const active: string = channel.activeTransport;
// @ts-expect-error transport is one of five names
channel.transport = 'pigeon';
// @ts-expect-error activeTransport is read-only
channel.activeTransport = 'idb';
// @ts-expect-error an error event has no data
channel.addEventListener('error', (event) => event.data);
export { queried, active, lastError, peers, ids };

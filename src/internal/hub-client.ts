import { RealtimeMessageEvent, ResetEvent } from './events.js';
import { renew } from './renewal.js';
import type { HubLimits, PresenceFrame } from './protocol.js';

/**
 * `<socket-relay>`'s hub protocol client, loaded on the first hub-mode connect (raw mode never
 * loads it): the hub's `hello` (limits, publisher id), the auth and subscribe frames, pacing
 * under the hub's announced rate, acknowledgements and the 1009 oversize refusal. It works on
 * the element's own fields, so the element keeps one state however far this chunk has loaded.
 */
interface Pending {
  frame: unknown;
  ref?: number;
  json?: string;
  acked?: (id?: string, error?: string) => void;
}

/** The `<socket-relay>` members this chunk uses (private there; one object at runtime). */
export interface HubRelay {
  readonly socket?: WebSocket;
  cursor: string;
  publisher: string;
  limits?: HubLimits;
  token?: string;
  /** `last-event-id`: the cursor to start from while the element has none of its own. */
  startId: string;
  rewind: number;
  readonly presence: Map<string, Map<string, unknown>>;
  /** A refresh was made since the last subscription (a second refusal is final). */
  renewed: boolean;
  greeted: boolean;
  tokens: number;
  refilled: number;
  unacked: Pending[];
  json(data: unknown): string;
  clearTimers(): void;
  sendControl(frame: string): void;
  opened(): void;
  tooLarge(pending: Pending): void;
  topics(): string[];
  emit(event: Event): boolean;
  fail(code: string, message: string, init?: object): void;
  readonly auth: string | (() => string | Promise<string>) | null;
}

/**
 * Takes one frame from the pacing bucket; false when none is left. The bucket holds half the
 * hub's announced burst and refills at 90 % of its rate, so network jitter that bunches frames
 * up never trips the hub's own limit (4429).
 */
export function spend(relay: HubRelay, limits: HubLimits): boolean {
  const now = performance.now();
  relay.tokens = Math.min(
    limits.burst / 2,
    relay.tokens + (now - relay.refilled) * limits.rate * 0.0009,
  );
  relay.refilled = now;
  return relay.tokens >= 1 && relay.tokens-- > 0;
}

/** Ms until the bucket holds a whole frame again. */
export const refillWait = (relay: HubRelay, limits: HubLimits): number =>
  Math.ceil((1 - relay.tokens) / (limits.rate * 0.0009));

/**
 * Takes the hub's hello (limits, publisher id) — or none after `helloTimeout`, from an older
 * hub — then, once per connection, sends the auth frame and the subscription and opens. A late
 * hello still brings its limits and takes the publisher id.
 */
export function greet(relay: HubRelay, hello?: { publisher: string; limits: HubLimits }): void {
  const socket = relay.socket;
  if (!socket) return;
  if (hello) {
    relay.limits = hello.limits;
    // Before the subscription, so its replay already skips this element's own sends.
    if (relay.publisher) socket.send(relay.json({ type: 'hello', publisher: relay.publisher }));
    else relay.publisher = hello.publisher;
  }
  if (relay.greeted) return;
  relay.greeted = true;
  relay.clearTimers();
  relay.tokens = (relay.limits?.burst ?? 0) / 2;
  relay.refilled = performance.now();
  if (relay.token !== undefined)
    relay.sendControl(relay.json({ type: 'auth', token: relay.token }));
  const topics = relay.topics();
  // Topics no longer subscribed have no presence.
  for (const topic of relay.presence.keys())
    if (!topics.includes(topic)) relay.presence.delete(topic);
  if (topics.length) {
    // The hub ignores `rewind` with a cursor: a resume never rewinds.
    relay.cursor ||= relay.startId;
    relay.sendControl(
      relay.json({
        type: 'subscribe',
        topics,
        since: relay.cursor || undefined,
        rewind: relay.rewind || undefined,
      }),
    );
  }
  relay.opened();
}

/** The hub acknowledged (or refused) a publish. */
function acknowledged(relay: HubRelay, ref: unknown, id?: string, error?: string): void {
  relay.unacked = relay.unacked.filter((pending) => {
    if (pending.ref !== ref) return true;
    pending.acked?.(id, error);
    return false;
  });
}

/**
 * A server without a hello (so no known limit) closed with 1009: the largest unacknowledged
 * send is the one it refused; it is never sent again. (Only hub publishes wait for an
 * acknowledgement: their frames are strings.)
 */
export function refuseLargest(relay: HubRelay): void {
  const largest = relay.unacked.reduce(
    (best, pending, index, all) =>
      (pending.frame as string).length > (all[best]!.frame as string).length ? index : best,
    0,
  );
  const [dropped] = relay.unacked.splice(largest, 1);
  if (dropped) relay.tooLarge(dropped);
  else relay.fail('too-large', 'The server refused a message as too large (1009).');
}

/** The hub's `expiring`: renew, then a new `auth` frame on the same socket. */
async function reauth(relay: HubRelay): Promise<void> {
  const socket = relay.socket;
  try {
    await renew(relay as never, true);
    const token = typeof relay.auth === 'function' ? await relay.auth() : relay.auth;
    if (token != null && socket === relay.socket)
      relay.sendControl(relay.json({ type: 'auth', token }));
  } catch {
    // No new token: the hub closes with 4440 at expiry and the reconnect asks again.
  }
}

/** A presence frame: the topic's members updated, then `presencechange`. */
function presence(relay: HubRelay, frame: PresenceFrame): void {
  const { topic, action, user, info } = frame;
  let members = relay.presence.get(topic);
  if (!members || action === 'snapshot') {
    relay.presence.set(topic, (members = new Map()));
    for (const member of frame.members ?? []) members.set(member.user, member.info);
  }
  if (action === 'join') members.set(user!, info);
  if (action === 'leave') members.delete(user!);
  relay.emit(Object.assign(new Event('presencechange'), { topic, action, user, info, members }));
}

/** One frame from the hub. */
export function receive(relay: HubRelay, raw: unknown): void {
  let frame: { type?: string; [field: string]: unknown };
  try {
    frame = JSON.parse(raw as string);
  } catch {
    return relay.fail('parse-error', 'The hub sent a frame that is not JSON.', {
      raw: String(raw),
    });
  }
  switch (frame.type) {
    case 'message':
      relay.cursor = frame.id as string;
      relay.emit(
        new RealtimeMessageEvent({
          data: frame.data,
          lastEventId: relay.cursor,
          topic: frame.topic,
          id: relay.cursor,
        }),
      );
      break;
    case 'subscribed':
      relay.renewed = false;
      if (frame.id && !relay.cursor) relay.cursor = frame.id as string;
      break;
    case 'expiring':
      void reauth(relay);
      break;
    case 'ack':
      acknowledged(relay, frame.ref, frame.id as string);
      break;
    case 'reset':
      relay.cursor = frame.id as string;
      relay.emit(new ResetEvent(frame.reason as string, relay.cursor, frame.topics as string[]));
      break;
    case 'error': {
      const code = String(frame.code);
      // A publish refused for now (the store is away) stays unacknowledged: re-sent later.
      if (frame.ref !== undefined && code !== 'unavailable' && code !== 'closing') {
        acknowledged(relay, frame.ref, undefined, code);
      }
      relay.fail(code, String(frame.message));
      break;
    }
    case 'hello':
      greet(relay, frame as never);
      break;
    case 'presence':
      presence(relay, frame as unknown as PresenceFrame);
      break;
    default:
    // `pong` and frames of later versions: the activity alone is all that matters.
  }
}

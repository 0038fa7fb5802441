/**
 * The hub's WebSocket protocol, defined once: frame types, close codes, the hello frame and the
 * default limits. DOM-free and Node-free, so the hub (`src/server/`) and `<socket-relay>` import
 * the same definitions and cannot drift. README's protocol tables are checked against it.
 */

/** Bumped when a change could break a client written for an older version. */
export const protocolVersion = 1;

/** Frames a client sends to the hub. */
export const clientFrameTypes = [
  'hello',
  'auth',
  'subscribe',
  'unsubscribe',
  'publish',
  'ping',
] as const;
export type ClientFrameType = (typeof clientFrameTypes)[number];

/** Frames the hub sends to a client. */
export const hubFrameTypes = [
  'hello',
  'subscribed',
  'unsubscribed',
  'message',
  'ack',
  'reset',
  'error',
  'pong',
  'expiring',
  'presence',
] as const;
export type HubFrameType = (typeof hubFrameTypes)[number];

/**
 * Close codes the hub uses (RFC 6455 § 7.4.1 for the 1xxx ones; 4xxx are the hub's own), with
 * the `error` code `<socket-relay>` reports for each and whether a client should retry.
 */
export const closeCodes = {
  /** The hub is shutting down or restarting. */
  goingAway: 1001,
  /** A frame larger than the hub's frame limit (`maxPayload` + frame overhead). */
  tooLarge: 1009,
  /** The store (Redis) is unavailable: try again later (RFC 6455 registry, "Try Again Later"). */
  tryAgainLater: 1013,
  /** `authorize` refused the `auth` token (or `hub.disconnect()` ended the connection). */
  unauthorized: 4401,
  /**
   * The credentials expired (`authorize`'s `expiresAt`) and no new `auth` frame came after the
   * `expiring` frame. Retryable: the client reconnects at once with fresh credentials and its
   * cursor (like IIS's 440 Login Time-out).
   */
  expired: 4440,
  /** The page's origin is not allowed. */
  forbiddenOrigin: 4403,
  /** More frames than the announced rate and burst allow. */
  rateLimited: 4429,
} as const;

/**
 * Close code → the `error` code `<socket-relay>` reports (none for 1001, a routine restart, and
 * 1013, which the hub's `unavailable` error frame has already reported).
 * Whether to retry is the element's `stop-codes` (default 1008, 4401, 4403). A `Map`: codes
 * come from the wire. (Literals, not `closeCodes.…`: this table ships in the browser bundle.)
 */
export const closeErrors: ReadonlyMap<number, string> = new Map([
  [1008, 'policy'],
  [1009, 'too-large'],
  [4401, 'unauthorized'],
  [4403, 'forbidden-origin'],
  [4429, 'rate-limited'],
]);

/** `error` frame codes. */
export const errorCodes = [
  'bad-frame',
  'bad-topic',
  'bad-data',
  'too-large',
  'too-many-topics',
  'forbidden',
  'unavailable',
  'closing',
  'presence-full',
] as const;

/**
 * Reasons of a `reset` frame (and of the SSE `reset` event, and a poll's `reset`): `epoch` (the
 * store lost its data set), `too-old` (history of the frame's `topics` is gone; with several
 * topics the others miss nothing and every kept event follows), `invalid` (not a cursor of this
 * hub), `too-many` (more missed events than the hub's `maxReplay`: re-load the state).
 */
export const resetReasons = ['epoch', 'too-old', 'invalid', 'too-many'] as const;

/**
 * A `subscribe` frame: `{"type":"subscribe","topics":[…],"since":"<id>","rewind":N,"ref":…}`.
 * `since` resumes after a cursor; without one, `rewind` (a whole number) asks for the last N
 * events of the topics first (at most the hub's `maxReplay`), then live, in one order.
 */
export interface SubscribeFrame {
  type: 'subscribe';
  topics: string[];
  since?: string;
  rewind?: number;
  ref?: unknown;
}

/**
 * Presence of a topic (the hub's `presence` option), per `user` of `authorize`: on subscribe
 * `{"type":"presence","topic":…,"action":"snapshot","members":[{"user":…,"info":…}]}`, then
 * `"action":"join"` (`user`, `info`: a user's first connection anywhere) and `"action":"leave"`
 * (`user`: its last connection gone). Over SSE the same object is the data of a `$presence`
 * event.
 */
export interface PresenceFrame {
  type: 'presence';
  topic: string;
  action: 'snapshot' | 'join' | 'leave';
  members?: { user: string; info?: unknown }[];
  user?: string;
  info?: unknown;
}

/** What the hub announces in its hello; every duration in ms, sizes in bytes. */
export interface HubLimits {
  /** Largest `data` of a publish, as UTF-8 bytes of its JSON. */
  maxPayload: number;
  /** Frames per second a connection may send on average… */
  rate: number;
  /** …and in one burst (the token bucket's size). */
  burst: number;
  /** The hub pings every this often; a socket that missed the last pong is closed. */
  heartbeat: number;
  /** Message ids kept per publisher for de-duplication. */
  dedupWindow: number;
  /** A publisher's ids are forgotten once it has been silent this long. */
  dedupAge: number;
}

/**
 * Sent once the connection's credentials expire within `expiringLead` ms: `expiresAt` (ms since
 * the epoch, the hub's clock). A new `auth` frame whose grant lasts longer keeps the connection;
 * else it is closed with `closeCodes.expired` at `expiresAt`.
 */
export interface ExpiringFrame {
  type: 'expiring';
  expiresAt: number;
}

/** How long before expiry the hub sends `expiring`, ms (less when the grant is shorter). */
export const expiringLead = 10_000;

/** The hub's first frame on every connection. */
export interface HelloFrame {
  type: 'hello';
  version: number;
  /**
   * This connection's publisher id: unguessable, never sent to anyone else. A client that
   * reconnects sends it back (`{"type":"hello","publisher":"…"}`) so its sends keep their
   * identity (de-duplication, own sends skipped).
   */
  publisher: string;
  limits: HubLimits;
}

/** The hub's defaults (each an option of `createHub`). */
export const defaultLimits = {
  maxPayload: 64 * 1024,
  rate: 100,
  heartbeat: 30_000,
  dedupWindow: 1000,
  dedupAge: 5 * 60_000,
} as const;

/**
 * A publisher id as the hub makes them: 24 characters of base64url (144 random bits). Exactly
 * that shape, so a client can never claim the scope of an HTTP `Idempotency-Key` caller.
 */
export const publisherPattern = /^[\w-]{24}$/;
/** A publish frame's message id (`msg`): 1–64 printable ASCII characters. */
export const messageIdPattern = /^[!-~]{1,64}$/;

/**
 * How long `<socket-relay>` waits for the hub's hello before it treats the hub as an older
 * one (no limits known, no de-duplication) and sends anyway, ms.
 */
export const helloTimeout = 2000;

/** Bytes a frame may add around `data` (type, topic, ref, msg, echo): the hub's frame limit is `maxPayload` plus this. */
export const frameOverhead = 1024;

/**
 * Whether `text` is longer than `limit` UTF-8 bytes. Only a text within 3× of the limit is
 * encoded: UTF-8 takes 1–3 bytes per UTF-16 unit.
 */
export const exceedsBytes = (text: string, limit: number): boolean =>
  text.length > limit || (text.length * 3 > limit && new TextEncoder().encode(text).length > limit);

import { badTopic, HubError, type HubCore } from './core.js';
import { isValidTopic } from './http.js';
import { defaultLimits } from '../internal/protocol.js';
import type { HubLog } from './hub-log.js';
import type { PresenceBackend, PresenceChange, PresenceMember } from './presence-backend.js';

export type { PresenceMember } from './presence-backend.js';
import { MemoryPresence } from './presence-memory.js';
import { RedisPresence } from './presence-redis.js';
import type { AuthGrant, HubOptions } from './types.js';

/**
 * What one subscriber hears of a topic's presence: the members on subscribe (`snapshot`), then
 * each user's first connection (`join`) and last one gone (`leave`). The SSE `$presence`
 * event's data; over WebSocket, a `presence` frame with these fields.
 */
export type PresenceMessage =
  | { topic: string; action: 'snapshot'; members: PresenceMember[] }
  | { topic: string; action: 'join'; user: string; info: unknown }
  | { topic: string; action: 'leave'; user: string };

export interface PresenceSettings {
  /** Topic prefixes with presence on (`''`: every topic). */
  prefixes: string[];
  /** Members per topic (distinct users, across processes). */
  max: number;
  /** ms a process's holds live in a shared store without a renewal. */
  ttl: number;
  /** Largest `info` (JSON bytes) a member carries (`maxPayload`); a larger one is `null`. */
  maxInfo: number;
}

/** This process's connections of one user to one topic. */
interface Hold {
  count: number;
  info: string;
  /** The backend's answer: false when the topic was full. */
  joined: Promise<boolean>;
  ok?: boolean;
}

/** One subscriber's view of one topic: the members it has been told of. */
interface View {
  topic: string;
  send: (message: PresenceMessage) => void;
  known: Map<string, string>;
  /** Changes that came while the snapshot was read; undefined once it was sent. */
  buffer?: PresenceChange[];
  /** The snapshot could not be read (store away): read again on the next renewal. */
  stale?: boolean;
}

const parse = (json: string): unknown => JSON.parse(json);

/**
 * The hub's presence: who is subscribed to each presence topic, per `user` of `authorize` (not
 * per connection), with the `info` of their grant. Connections hold their user on their topics
 * here; the backend (memory, or Redis across processes) turns a user's first and last hold into
 * `join` and `leave`; every subscriber's view gets a snapshot, then the changes it has not seen.
 */
export class Presence {
  private readonly holds = new Map<string, Map<string, Hold>>();
  private readonly views = new Map<string, Set<View>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timer?: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    private readonly backend: PresenceBackend,
    readonly settings: PresenceSettings,
    private readonly log: HubLog,
    private readonly retryAfter: number,
  ) {
    backend.onChange((change) => {
      for (const view of this.views.get(change.topic) ?? []) this.apply(view, change);
    });
    backend.onResync?.(() => void this.resync());
    this.timer = setInterval(() => void this.renew(), Math.max(10, settings.ttl / 3));
    this.timer.unref();
  }

  /** Whether `topic` has presence on (it starts with one of the `presence` prefixes). */
  enabled(topic: string): boolean {
    return this.settings.prefixes.some((prefix) => topic.startsWith(prefix));
  }

  /**
   * Holds the grant's `user` on the presence topics among `topics`, for one connection. Call
   * `release` when the connection ends or leaves the topics (any number of times, also while
   * `ready` is pending; `release(topics)` lets go of those topics only, as `hub.unsubscribe`
   * does). `ready` rejects with `429 presence-full` when a topic already has
   * `maxPresenceMembers` other members (the connection is refused; release it), or with the
   * store's error. A grant without a `user` holds nothing: it is not a member.
   */
  enter(
    topics: Iterable<string>,
    grant: AuthGrant,
  ): { ready: Promise<void>; release: (topics?: Iterable<string>) => void } {
    // A numeric id (a database key) is the same user as its string.
    const user = typeof grant.user === 'number' ? String(grant.user) : grant.user;
    const mine = [...topics].filter((topic) => this.enabled(topic));
    if (typeof user !== 'string' || !mine.length || this.closed) {
      return { ready: Promise.resolve(), release: () => {} };
    }
    const info = infoJson(grant.info, this.settings.maxInfo, this.log);
    const taken = mine.map((topic) => {
      let users = this.holds.get(topic);
      if (!users) this.holds.set(topic, (users = new Map()));
      let hold = users.get(user);
      if (!hold) {
        const joined = this.backend.join(topic, user, info, this.settings.max);
        const created: Hold = { count: 0, info, joined };
        joined.then((ok) => (created.ok = ok)).catch(() => {});
        users.set(user, (hold = created));
      }
      hold.count++;
      return { topic, hold };
    });
    // Each hold is let go of once, whether all at once or topic by topic.
    const released = taken.map(() => false);
    const release = (only?: Iterable<string>) => {
      const some = only && new Set(only);
      taken.forEach(({ topic, hold }, index) => {
        if (released[index] || (some && !some.has(topic))) return;
        released[index] = true;
        this.drop(topic, user, hold);
      });
    };
    const ready = Promise.all(taken.map(({ hold }) => hold.joined)).then((answers) => {
      const full = mine.filter((_, index) => !answers[index]);
      if (!full.length) return;
      throw new HubError(
        'presence-full',
        `Presence of ${full.join(', ')} is full: at most ${this.settings.max} members (maxPresenceMembers).`,
        429,
        this.retryAfter,
      );
    });
    return { ready, release };
  }

  /**
   * Sends `send` the presence of every presence topic among `topics`: a snapshot, then the
   * changes. Returns the function that stops it (for `topics` only, when given).
   */
  watch(
    topics: Iterable<string>,
    send: (message: PresenceMessage) => void,
  ): (topics?: Iterable<string>) => void {
    const mine = [...new Set(topics)].filter((topic) => this.enabled(topic));
    const views = mine.map((topic) => {
      const view: View = { topic, send, known: new Map(), buffer: [] };
      let set = this.views.get(topic);
      if (!set) this.views.set(topic, (set = new Set()));
      set.add(view);
      void this.snapshot(view);
      return view;
    });
    return (only) => {
      const some = only && new Set(only);
      for (const view of views) {
        if (some && !some.has(view.topic)) continue;
        const set = this.views.get(view.topic);
        set?.delete(view);
        if (set?.size === 0) this.views.delete(view.topic);
      }
    };
  }

  /** The members of `topic` now (`hub.presence`). */
  async members(topic: string): Promise<PresenceMember[]> {
    if (!this.enabled(topic)) {
      throw new HubError(
        'no-presence',
        `Topic ${topic} has no presence (see the presence option).`,
        400,
      );
    }
    const members = await this.backend.members(topic);
    return [...members].map(([user, info]) => ({ user, info: parse(info) }));
  }

  /** Stops renewing; waits for the leaves of connections that already ended. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // Connections still held (an SSE stream whose close event is yet to come) leave now, not
    // after presenceTtl: a graceful stop is seen at once by the other processes.
    for (const [topic, users] of this.holds) {
      for (const user of users.keys()) this.track(this.backend.leave(topic, user).catch(() => {}));
    }
    this.holds.clear();
    await Promise.allSettled([...this.pending]);
    await this.backend.close();
  }

  private drop(topic: string, user: string, hold: Hold): void {
    // After `close`, its holds have left already.
    if (--hold.count > 0 || this.closed) return;
    const users = this.holds.get(topic);
    if (users?.get(user) === hold) users.delete(user);
    if (users?.size === 0) this.holds.delete(topic);
    // After the join on the same connection: a leave never overtakes its join.
    this.track(this.backend.leave(topic, user).catch((error) => this.failed('leave', error)));
  }

  private async snapshot(view: View): Promise<void> {
    let members: Map<string, string>;
    try {
      members = await this.backend.members(view.topic);
    } catch (error) {
      view.stale = true;
      return this.failed('snapshot', error);
    }
    if (!this.views.get(view.topic)?.has(view)) return;
    view.stale = false;
    view.known = members;
    view.send({
      topic: view.topic,
      action: 'snapshot',
      members: [...members].map(([user, info]) => ({ user, info: parse(info) })),
    });
    const buffered = view.buffer ?? [];
    view.buffer = undefined;
    for (const change of buffered) this.apply(view, change);
  }

  /** A change the view has not seen yet is sent; a repeat (a join it knows) is not. */
  private apply(view: View, change: PresenceChange): void {
    if (view.buffer) return void view.buffer.push(change);
    if (view.stale) return;
    const { topic, user } = change;
    if (change.action === 'join') {
      const info = change.info ?? 'null';
      if (view.known.get(user) === info) return;
      view.known.set(user, info);
      view.send({ topic, action: 'join', user, info: parse(info) });
    } else if (view.known.delete(user)) {
      view.send({ topic, action: 'leave', user });
    }
  }

  /** Changes may have been missed: every view is read again and told the difference. */
  private async resync(): Promise<void> {
    for (const [topic, views] of [...this.views]) {
      let members: Map<string, string>;
      try {
        members = await this.backend.members(topic);
      } catch (error) {
        return this.failed('resync', error);
      }
      for (const view of views) {
        if (view.buffer) continue;
        if (view.stale) {
          view.buffer = [];
          void this.snapshot(view);
          continue;
        }
        for (const user of [...view.known.keys()]) {
          if (!members.has(user)) this.apply(view, { topic, action: 'leave', user });
        }
        for (const [user, info] of members) this.apply(view, { topic, action: 'join', user, info });
      }
    }
  }

  /** Renews this process's holds in a shared store and drops members of stopped processes. */
  private async renew(): Promise<void> {
    const stale = [...this.views.values()].some((views) => [...views].some((view) => view.stale));
    if (stale) void this.resync();
    if (!this.backend.beat || this.closed) return;
    const held = new Map<string, Map<string, string>>();
    for (const [topic, users] of this.holds) {
      const mine = new Map([...users].filter(([, hold]) => hold.ok).map(([u, h]) => [u, h.info]));
      if (mine.size) held.set(topic, mine);
    }
    await this.track(
      this.backend
        .beat(held, new Set(this.views.keys()))
        .catch((error) => this.failed('renewal', error)),
    );
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
    return promise;
  }

  private failed(what: string, error: unknown): void {
    this.log.incident(
      'presence errors',
      `presence ${what} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * A grant's `info` as JSON; one that is not JSON (a cycle, a BigInt) or is larger than `max`
 * bytes is logged and `null`: every subscriber of the topic gets each member's info, in each
 * snapshot, so it is bounded as a published event is.
 */
function infoJson(info: unknown, max: number, log: HubLog): string {
  let json: string;
  try {
    json = JSON.stringify(info ?? null) ?? 'null';
  } catch (error) {
    log.incident('presence errors', `authorize's info is not JSON: ${(error as Error).message}`);
    return 'null';
  }
  if (Buffer.byteLength(json) <= max) return json;
  log.incident(
    'presence errors',
    `authorize's info is ${Buffer.byteLength(json)} bytes, more than maxPayload (${max}): the member's info is null`,
  );
  return 'null';
}

/**
 * The hub's presence for its options, or undefined without a `presence` option. With `redis`,
 * shared by every process on it; else this process's own. Throws `TypeError` for bad options.
 */
export function createPresence(
  options: HubOptions,
  log: HubLog,
  retryAfter: number,
): Presence | undefined {
  const { presence: prefixes, maxPresenceMembers = 1000, presenceTtl = 30_000, redis } = options;
  if (prefixes === undefined) return undefined;
  if (!Array.isArray(prefixes) || prefixes.some((prefix) => typeof prefix !== 'string')) {
    throw new TypeError('presence is a list of topic prefixes (strings; "" for every topic).');
  }
  if (
    !(maxPresenceMembers >= 0) ||
    !(Number.isSafeInteger(maxPresenceMembers) || maxPresenceMembers === Infinity)
  ) {
    throw new TypeError('maxPresenceMembers is a whole number ≥ 0 (or Infinity).');
  }
  if (!(typeof presenceTtl === 'number' && presenceTtl >= 30 && Number.isFinite(presenceTtl))) {
    throw new TypeError('presenceTtl is a number of ms ≥ 30.');
  }
  const backend = redis
    ? new RedisPresence({
        ...(typeof redis === 'string' ? { url: redis } : redis),
        ttl: presenceTtl,
      })
    : new MemoryPresence();
  return new Presence(
    backend,
    {
      prefixes,
      max: maxPresenceMembers,
      ttl: presenceTtl,
      maxInfo: options.maxPayload ?? defaultLimits.maxPayload,
    },
    log,
    retryAfter,
  );
}

/** `hub.presence(topic)`. */
export async function presenceOf(core: HubCore, topic: string): Promise<PresenceMember[]> {
  if (!isValidTopic(topic)) throw badTopic(topic);
  if (!core.presence) {
    throw new HubError('no-presence', 'This hub has no presence (see the presence option).', 400);
  }
  return core.presence.members(topic).catch((error) => Promise.reject(core.unavailable(error)));
}

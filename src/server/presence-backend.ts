/** One member of a topic's presence: a `user` from `authorize`, with the `info` of its grant. */
export interface PresenceMember {
  user: string;
  info?: unknown;
}

/**
 * A change of a topic's presence, as every process hears it: a user's first connection anywhere
 * (`join`, with its `info` as JSON) or its last one gone (`leave`).
 */
export interface PresenceChange {
  topic: string;
  action: 'join' | 'leave';
  user: string;
  /** With `join`: the member's `info` as JSON (`null` when none). */
  info?: string;
}

/**
 * Where presence is kept: this process only (memory) or every process on a Redis. The hub calls
 * `join` for a user's first connection to a topic *in this process* and `leave` for its last
 * one, in order; the backend turns them into `PresenceChange`s of the whole hub.
 */
export interface PresenceBackend {
  /**
   * Adds this process's hold of `user` on `topic`. Resolves false, holding nothing, when the
   * topic already has `max` members and the user is not one of them.
   */
  join(topic: string, user: string, info: string, max: number): Promise<boolean>;
  /** Drops this process's hold of `user` on `topic`. */
  leave(topic: string, user: string): Promise<void>;
  /** The topic's members now: user → `info` as JSON. */
  members(topic: string): Promise<Map<string, string>>;
  /**
   * Optional (shared backends): renews this process's holds (`held`: topic → user → info JSON)
   * and drops the members whose processes stopped renewing, for the topics in `held` and
   * `watched`. Called every `presenceTtl / 3` ms.
   */
  beat?(held: Map<string, Map<string, string>>, watched: Set<string>): Promise<void>;
  /** Every change, from any process, in the order it happened. */
  onChange(listener: (change: PresenceChange) => void): void;
  /**
   * Optional: called when changes may have been missed (a lost Pub/Sub connection came back):
   * the hub reads its watched topics again and tells subscribers the difference.
   */
  onResync?(listener: () => void): void;
  close(): Promise<void>;
}

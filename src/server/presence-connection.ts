import type { Presence, PresenceMessage } from './presence.js';
import type { AuthGrant } from './types.js';

/**
 * The presence of one WebSocket connection, topic by topic: the user it holds on each presence
 * topic it subscribed to, and the views that send it `presence` frames. Subscribing again to a
 * held topic keeps the hold (no `leave`/`join` flicker) and sends a fresh snapshot.
 */
export class ConnectionPresence {
  private readonly held = new Map<string, () => void>();
  /** The user each topic is held for. */
  private readonly users = new Map<string, unknown>();
  private readonly views = new Map<string, () => void>();

  constructor(
    private readonly presence: Presence | undefined,
    /** The connection's grant, read at each `enter` (a later `auth` frame may change it). */
    private readonly grant: AuthGrant,
    private readonly send: (message: PresenceMessage) => void,
  ) {}

  /** Holds the user on the presence topics not held yet; on a refusal releases them and throws. */
  async enter(topics: string[]): Promise<void> {
    if (!this.presence) return;
    const fresh = topics.filter((topic) => !this.held.has(topic) && this.presence!.enabled(topic));
    const entries = fresh.map((topic) => {
      const entry = this.presence!.enter([topic], this.grant);
      this.held.set(topic, entry.release);
      this.users.set(topic, this.grant.user);
      return entry;
    });
    try {
      await Promise.all(entries.map((entry) => entry.ready));
    } catch (error) {
      this.leave(fresh);
      throw error;
    }
  }

  /** (Re)starts the views of `topics`: a snapshot each, then the changes. */
  watch(topics: string[]): void {
    if (!this.presence) return;
    for (const topic of topics) {
      if (!this.presence.enabled(topic)) continue;
      this.views.get(topic)?.();
      this.views.set(topic, this.presence.watch([topic], this.send));
    }
  }

  /**
   * A new `auth` frame changed the user (a sign-in on an open socket): the held topics move to
   * the new user (the old one leaves, the new one joins). A topic full for the new user throws
   * `presence-full`; its subscription stays, without a member.
   */
  async regrant(): Promise<void> {
    const moved = [...this.held.keys()].filter(
      (topic) => this.users.get(topic) !== this.grant.user,
    );
    if (!moved.length) return;
    for (const topic of moved) {
      this.held.get(topic)!();
      this.held.delete(topic);
    }
    await this.enter(moved);
  }

  /** Stops the views of `topics` and releases their holds. */
  leave(topics: Iterable<string>): void {
    for (const topic of topics) {
      this.views.get(topic)?.();
      this.views.delete(topic);
      this.held.get(topic)?.();
      this.held.delete(topic);
      this.users.delete(topic);
    }
  }

  close(): void {
    this.leave([...new Set([...this.held.keys(), ...this.views.keys()])]);
  }
}

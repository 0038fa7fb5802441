import type { PresenceBackend, PresenceChange } from './presence-backend.js';

/** Presence of one hub process (no Redis): the process's own holds are the whole truth. */
export class MemoryPresence implements PresenceBackend {
  private readonly topics = new Map<string, Map<string, string>>();
  private readonly listeners = new Set<(change: PresenceChange) => void>();

  async join(topic: string, user: string, info: string, max: number): Promise<boolean> {
    let members = this.topics.get(topic);
    if (members?.has(user)) return true;
    if ((members?.size ?? 0) >= max) return false;
    if (!members) this.topics.set(topic, (members = new Map()));
    members.set(user, info);
    this.emit({ topic, action: 'join', user, info });
    return true;
  }

  async leave(topic: string, user: string): Promise<void> {
    const members = this.topics.get(topic);
    if (!members?.delete(user)) return;
    if (!members.size) this.topics.delete(topic);
    this.emit({ topic, action: 'leave', user });
  }

  async members(topic: string): Promise<Map<string, string>> {
    return new Map(this.topics.get(topic));
  }

  onChange(listener: (change: PresenceChange) => void): void {
    this.listeners.add(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(change: PresenceChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/**
 * Tracks the last sequence number seen per writer, so each message is delivered once and in
 * its writer's order.
 */
export class SequenceTracker {
  private readonly last = new Map<string, number>();

  /** Messages of `sender` numbered above what was already seen. */
  fresh(sender: string, seq: number): boolean {
    const last = this.last.get(sender) ?? 0;
    if (seq <= last) return false;
    this.last.set(sender, seq);
    return true;
  }

  /** The last number seen for `sender` (0 when unknown). */
  seen(sender: string): number {
    return this.last.get(sender) ?? 0;
  }

  known(sender: string): boolean {
    return this.last.has(sender);
  }
}

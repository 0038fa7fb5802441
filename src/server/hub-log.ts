import type { HubLogger } from './types.js';

const silent: HubLogger = { info() {}, warn() {} };

/**
 * The hub's operational log: each kind of incident is written once when it starts, and a burst
 * of the same kind becomes one summary line with its count, so a flood of refused requests
 * cannot flood the log.
 */
export class HubLog {
  private readonly bursts = new Map<string, { count: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly logger: HubLogger = silent,
    /** How long a burst of one kind is counted before its summary, ms. */
    private readonly window = 10_000,
  ) {}

  info(message: string): void {
    this.logger.info(`[realtime hub] ${message}`);
  }

  warn(message: string): void {
    this.logger.warn(`[realtime hub] ${message}`);
  }

  /** An incident of `kind`: logged at once if none of its kind is being counted, else counted. */
  incident(kind: string, message: string): void {
    const burst = this.bursts.get(kind);
    if (burst) {
      burst.count++;
      return;
    }
    this.warn(message);
    const timer = setTimeout(() => {
      const { count } = this.bursts.get(kind)!;
      this.bursts.delete(kind);
      if (count) this.warn(`${count} more ${kind} in the last ${this.window / 1000} s`);
    }, this.window);
    timer.unref();
    this.bursts.set(kind, { count: 0, timer });
  }

  /** Writes the pending summaries now (on close). */
  flush(): void {
    for (const [kind, { count, timer }] of this.bursts) {
      clearTimeout(timer);
      if (count) this.warn(`${count} more ${kind} before the hub closed`);
    }
    this.bursts.clear();
  }
}

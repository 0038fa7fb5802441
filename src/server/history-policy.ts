/** What one topic's history keeps; each bound is optional (no bound). */
export interface HistoryBounds {
  /** Events kept. */
  limit?: number;
  /** Bytes kept: UTF-8 length of each event's JSON plus its topic. */
  bytes?: number;
  /** Milliseconds an event is kept (measured on a monotonic clock in memory, on Redis `TIME` in Redis). */
  ttl?: number;
}

/**
 * The hub's `history` option: `default` bounds every topic, and any other key is a topic prefix
 * whose bounds replace the default's for the topics it begins (the longest prefix wins), e.g.
 * `{ default: { limit: 100 }, prices: { limit: 1 }, 'chat:': { limit: 500, ttl: 3_600_000 } }`.
 */
export type HistoryOptions = { default?: HistoryBounds } & Record<
  string,
  HistoryBounds | undefined
>;

/** Bounds with every field resolved (`Infinity` for none). */
export interface ResolvedBounds {
  limit: number;
  bytes: number;
  ttl: number;
}

/** The default of each topic when nothing else is said: 1,000 events, 1 MiB, no age bound. */
export const defaultBounds: ResolvedBounds = { limit: 1000, bytes: 1 << 20, ttl: Infinity };

/**
 * Resolves a topic's history bounds from the `history` option (prefix overrides over `default`,
 * over the `historyLimit`/`historyBytes` aliases, over the built-in default). Results are cached:
 * a busy hub asks for the same few topics over and over.
 */
export class HistoryPolicy {
  private readonly base: ResolvedBounds;
  /** Prefixes, longest first. */
  private readonly prefixes: [string, ResolvedBounds][];
  private readonly cache = new Map<string, ResolvedBounds>();

  constructor(
    history: HistoryOptions = {},
    aliases: { historyLimit?: number; historyBytes?: number } = {},
    fallback: ResolvedBounds = defaultBounds,
  ) {
    // A typo (`{ 'chat:': 500 }`, `{ limt: 5 }`) would otherwise be ignored without a word.
    if (typeof history !== 'object' || history === null || Array.isArray(history))
      throw new TypeError(
        `history must be { default: { limit, bytes, ttl }, '<prefix>': {…} }, not ${String(history)}.`,
      );
    const alias = { limit: aliases.historyLimit, bytes: aliases.historyBytes };
    this.base = resolve(
      resolve(fallback, alias),
      Object.hasOwn(history, 'default') ? history.default : undefined,
    );
    this.prefixes = Object.keys(history)
      .filter((key) => key !== 'default')
      .sort((a, b) => b.length - a.length)
      .map((prefix) => [prefix, resolve(this.base, history[prefix])]);
  }

  /** The bounds of `topic`. */
  of(topic: string): ResolvedBounds {
    let bounds = this.cache.get(topic);
    if (bounds) return bounds;
    bounds = this.prefixes.find(([prefix]) => topic.startsWith(prefix))?.[1] ?? this.base;
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(topic, bounds);
    return bounds;
  }
}

/** `bounds` over `base`, each field checked: a bad value is a configuration error at start. */
function resolve(base: ResolvedBounds, bounds: HistoryBounds | undefined): ResolvedBounds {
  const out = { ...base };
  if (bounds !== undefined) {
    const unknown =
      typeof bounds === 'object' && bounds !== null
        ? Object.keys(bounds).find((key) => !['limit', 'bytes', 'ttl'].includes(key))
        : String(bounds);
    if (unknown !== undefined)
      throw new TypeError(
        `history bounds are { limit, bytes, ttl } (events, bytes, ms); ${JSON.stringify(unknown)} is none of them.`,
      );
  }
  for (const key of ['limit', 'bytes', 'ttl'] as const) {
    const value = bounds?.[key];
    if (value === undefined) continue;
    if (
      typeof value !== 'number' ||
      !(value >= 0) ||
      (Number.isFinite(value) && !Number.isInteger(value))
    )
      throw new TypeError(
        `history ${key} must be a whole number ≥ 0 (or Infinity), not ${String(value)}.`,
      );
    out[key] = value;
  }
  return out;
}

import type { Counter, Histogram, Registry } from 'prom-client';
import type { ResetReason } from './types.js';

/** A connection's transport (the `transport` label). */
export type MetricsTransport = 'sse' | 'ws' | 'poll';
/** Where a publish came from (the `source` label): `POST /publish`, a WebSocket, or `hub.publish`. */
export type PublishSourceLabel = 'http' | 'ws' | 'api';

/**
 * The `metrics` hub option: `true` (a registry of the hub's own), or a prom-client `Registry` to
 * add the hub's metrics to (the application's own, served wherever it likes) and whether
 * `<basePath>/metrics` serves it too (`endpoint`, default true).
 */
export interface MetricsOptions {
  /** A prom-client `Registry`. Typed loosely so the hub's declarations do not need prom-client. */
  registry?: unknown;
  /** Serve the registry at `<basePath>/metrics`. Default true. */
  endpoint?: boolean;
}

/** Publish latency buckets, seconds: 0.5 ms to 2.5 s (a Redis round trip is ~0.1–1 ms). */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Instruments {
  deliveries: Counter<'transport'>;
  publishes: Counter<'source'>;
  duplicates: Counter<'source'>;
  latency: Histogram<'source'>;
  resets: Counter<'reason'>;
  slow: Counter<'transport'>;
  rateLimited: Counter<'transport'>;
  gapFills: Counter;
  gapFillEvents: Counter;
}

/**
 * What one registry holds: the instruments (created once) and every hub that reports into it.
 * Kept on the registry under a global symbol, so two hubs — or two copies of this library — that
 * share a registry share the instruments instead of registering a name twice (prom-client throws
 * on that): counters add up, gauges sum every live hub.
 */
interface Shared {
  instruments: Instruments;
  hubs: Set<HubMetrics>;
  gauges: Set<string>;
}

const sharedKey = Symbol.for('realtime-elements.hub-metrics');

type PromClient = typeof import('prom-client');

/**
 * The hub's Prometheus metrics (`metrics` option), through prom-client — loaded on first use, so a
 * hub without metrics never loads it. Names follow Prometheus conventions: `realtime_hub_` prefix,
 * `_total` counters, `_seconds` durations, labels `transport`, `source`, `reason`. Whatever happens
 * before prom-client has loaded is counted once it has (nothing is lost to the load).
 */
export class HubMetrics {
  /** Resolves with the registry once prom-client has loaded; rejects when it is not installed. */
  readonly ready: Promise<void>;
  /** Serve `<basePath>/metrics`. */
  readonly endpoint: boolean;
  private registry?: Registry;
  private shared?: Shared;
  private client?: PromClient;
  private pending: ((instruments: Instruments) => void)[] | undefined = [];
  private readonly gauges = new Map<string, () => Map<string, number> | number>();
  private closed = false;

  constructor(
    options: true | MetricsOptions,
    /** Live connections by transport, read at each scrape. */
    private readonly connections: () => Record<MetricsTransport, number>,
    /** Whether the store is reachable, read at each scrape. */
    private readonly storeUp: () => boolean,
    /** Where the failure to load prom-client is reported (the hub's log). */
    warn: (line: string) => void,
  ) {
    if (options !== true && (typeof options !== 'object' || options === null)) {
      throw new TypeError('metrics is true or { registry, endpoint }.');
    }
    const { registry, endpoint = true } = options === true ? {} : options;
    const registryLike = registry as { registerMetric?: unknown; metrics?: unknown } | undefined;
    if (
      registry !== undefined &&
      (typeof registryLike?.registerMetric !== 'function' ||
        typeof registryLike.metrics !== 'function')
    ) {
      throw new TypeError('metrics.registry is a prom-client Registry (new Registry()).');
    }
    this.endpoint = endpoint;
    this.ready = import('prom-client').then(
      (client) => this.start(client, registry as Registry | undefined),
      (error: unknown) => {
        this.pending = undefined;
        warn(
          `metrics: prom-client could not be loaded (npm install prom-client): ${(error as Error).message}`,
        );
        throw error;
      },
    );
    this.ready.catch(() => {});
    // Hubs without traffic still show their gauges.
    this.gauge('realtime_hub_connections', 'Open client connections.', 'transport', () => {
      return new Map(Object.entries(this.connections()));
    });
    this.gauge(
      'realtime_hub_store_up',
      'Whether the store (Redis) is reachable: 1 or 0.',
      '',
      () => (this.storeUp() ? 1 : 0),
    );
  }

  /** Events written to subscribers (live and replayed; one per subscriber). */
  delivered(transport: MetricsTransport, count = 1): void {
    if (count > 0) this.record((m) => m.deliveries.inc({ transport }, count));
  }

  /** A publish call stored (`stored` events, one per topic) or answered from the de-dup window. */
  published(source: PublishSourceLabel, stored: number, duplicates: number, seconds: number): void {
    this.record((m) => {
      if (stored) m.publishes.inc({ source }, stored);
      if (duplicates) m.duplicates.inc({ source }, duplicates);
      m.latency.observe({ source }, seconds);
    });
  }

  /**
   * A `reset` sent to a subscriber. A reason outside the known set (a custom store's) is
   * counted as `other`: each label value is a time series of its own, so the set stays closed.
   */
  reset(reason: ResetReason): void {
    const known = (resetReasons as readonly string[]).includes(reason);
    this.record((m) => m.resets.inc({ reason: known ? reason : 'other' }));
  }

  /** A subscriber cut off for a send queue past `maxBufferedBytes`. */
  slowConsumer(transport: MetricsTransport): void {
    this.record((m) => m.slow.inc({ transport }));
  }

  /** A connection closed for going over `rateLimit`. */
  rateLimited(transport: MetricsTransport): void {
    this.record((m) => m.rateLimited.inc({ transport }));
  }

  /** The Redis store read `events` missed events from its log (a lost Pub/Sub message, a reconnect). */
  gapFilled(events: number): void {
    this.record((m) => {
      m.gapFills.inc();
      m.gapFillEvents.inc(events);
    });
  }

  /**
   * Adds a gauge read at each scrape (e.g. presence members): `read` returns one value, or values
   * by `label` (a `Map` of label value → value). Hubs sharing a registry are summed.
   */
  gauge(name: string, help: string, label: string, read: () => Map<string, number> | number): void {
    this.gauges.set(name, read);
    if (this.client) this.registerGauge(name, help, label);
    else
      void this.ready.then(
        () => this.registerGauge(name, help, label),
        () => {},
      );
  }

  /** The registry in Prometheus text format, with its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    await this.ready;
    return { contentType: this.registry!.contentType, body: await this.registry!.metrics() };
  }

  /** This hub stops reporting its gauges (its counters stay, as counters do). */
  close(): void {
    this.closed = true;
    this.shared?.hubs.delete(this);
  }

  private record(apply: (instruments: Instruments) => void): void {
    if (this.shared) apply(this.shared.instruments);
    else this.pending?.push(apply);
  }

  private start(client: PromClient, given?: Registry): void {
    this.client = client;
    const registry = (this.registry = given ?? new client.Registry());
    const holder = registry as unknown as { [sharedKey]?: Shared };
    const shared = (holder[sharedKey] ??= {
      instruments: instruments(client, registry),
      hubs: new Set(),
      gauges: new Set(),
    });
    this.shared = shared;
    if (!this.closed) shared.hubs.add(this);
    for (const apply of this.pending ?? []) apply(shared.instruments);
    this.pending = undefined;
  }

  private registerGauge(name: string, help: string, label: string): void {
    const shared = this.shared!;
    if (shared.gauges.has(name)) return;
    shared.gauges.add(name);
    new this.client!.Gauge({
      name,
      help,
      labelNames: label ? [label] : [],
      registers: [this.registry!],
      collect() {
        this.reset();
        for (const hub of shared.hubs) {
          const value = hub.gauges.get(name)?.();
          if (typeof value === 'number') this.inc(value);
          else for (const [key, n] of value ?? []) this.inc({ [label]: key }, n);
        }
      },
    });
  }
}

/** The reset reasons the hub sends (`ResetReason`); any other is counted as `other`. */
const resetReasons = ['epoch', 'too-old', 'invalid', 'too-many'] as const;

/** Every label value each counter can have starts at 0, so a rate is defined from the start. */
const zeros: [keyof Instruments, string, string[]][] = [
  ['deliveries', 'transport', ['sse', 'ws', 'poll']],
  ['publishes', 'source', ['http', 'ws', 'api']],
  ['duplicates', 'source', ['http', 'ws', 'api']],
  ['resets', 'reason', [...resetReasons, 'other']],
  ['slow', 'transport', ['sse', 'ws']],
  ['rateLimited', 'transport', ['ws']],
];

function instruments(client: PromClient, registry: Registry): Instruments {
  const made = make(client, registry);
  for (const [name, label, values] of zeros) {
    for (const value of values) (made[name] as Counter<string>).inc({ [label]: value }, 0);
  }
  for (const source of ['http', 'ws', 'api']) made.latency.zero({ source });
  return made;
}

function make(client: PromClient, registry: Registry): Instruments {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new client.Counter<L>({ name, help, labelNames, registers });
  return {
    deliveries: counter(
      'realtime_hub_deliveries_total',
      'Events written to subscribers, live and replayed (one per subscriber).',
      ['transport'],
    ),
    publishes: counter(
      'realtime_hub_publishes_total',
      'Events stored by publishes of this process (one per topic).',
      ['source'],
    ),
    duplicates: counter(
      'realtime_hub_publish_duplicates_total',
      'Publishes answered from the de-duplication window: nothing stored (one per topic).',
      ['source'],
    ),
    latency: new client.Histogram({
      name: 'realtime_hub_publish_duration_seconds',
      help: 'Time a publish took to be stored (all its topics), seconds.',
      labelNames: ['source'],
      buckets: latencyBuckets,
      registers,
    }),
    resets: counter(
      'realtime_hub_resets_total',
      'Resets sent to subscribers (the cursor could not be resumed gap-free).',
      ['reason'],
    ),
    slow: counter(
      'realtime_hub_slow_consumers_total',
      'Subscribers cut off for a send queue past maxBufferedBytes.',
      ['transport'],
    ),
    rateLimited: counter(
      'realtime_hub_rate_limited_total',
      'Connections closed for going over rateLimit.',
      ['transport'],
    ),
    gapFills: counter(
      'realtime_hub_redis_gap_fills_total',
      'Times the Redis store read missed events from its log (a lost Pub/Sub message, a reconnect).',
    ),
    gapFillEvents: counter(
      'realtime_hub_redis_gap_fill_events_total',
      'Events the Redis store delivered from its log instead of Pub/Sub.',
    ),
  };
}

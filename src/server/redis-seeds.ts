/**
 * The Redis URLs of the `redis.url` option: one URL, or with `cluster` one or several seed nodes
 * (ioredis `Cluster` startup nodes, tried in turn). Checked when the hub is created, before
 * `ioredis` loads: a bad value throws there, not later as an unhandled rejection.
 * @throws TypeError for no URL, or several without `cluster`.
 */
export function redisSeeds(url: string | string[], cluster: boolean | undefined): string[] {
  const seeds = ([] as string[]).concat(url);
  if (!seeds.length || (!cluster && seeds.length > 1)) {
    throw new TypeError('Redis url: one URL, or several seed nodes with cluster: true.');
  }
  return seeds;
}

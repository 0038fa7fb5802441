/**
 * The long fault runs. `npm test` leaves them out so it stays quick on a 2-core machine;
 * `npm run test:faults` runs exactly these, and CI (`.ci/run`) runs it right after `npm test`, so
 * every test still runs in CI. Seeded runs print their seed when they fail.
 *
 * A browser fault run is a test whose title ends with `faultMark` (`faultRun(title)` in
 * test/helpers.ts): mocha's `grep` picks them (`npm test` inverts it). Paths are relative to the
 * project root.
 */
export const faultMark = '[fault run]';

export const faultSuites = {
  // Measured on 2 cores under load (test time, not counting start-up): socket-relay chaos 26 s
  // (three tabs, two hub processes, redis-server), native replay chaos 29 s, clock steps 19 s;
  // history, hub and Redis fault runs 10 + 1 + 11 s; the 2,000-subscriber drain 10–23 s; the
  // three-node Redis Cluster faults 12–20 s.
  /** Browser test files that are fault runs as a whole (every title marked). */
  browser: [
    'test/socket-relay-chaos.test.ts',
    'test/native-replay-redteam.test.ts',
    'test/clock-steps.test.ts',
  ],
  /**
   * Browser test files that hold some marked fault runs among quick tests: bursts of 500 to
   * 10,000 messages past a transport's or the hub's limits, readers hung longer than a hold
   * time, tabs that hang or crash, wall clocks stepped by an hour, 1,000 connect/disconnect cycles, a 10 s stream of expiring
   * credentials, a migration that never settles. Each took 3–21 s per engine here (one third of
   * the browser suite's time).
   */
  browserMarked: [
    'test/broadcastchannel-wpt-contexts.test.ts',
    'test/broadcastchannel-wpt-redteam.test.ts',
    'test/hub-expiry.test.ts',
    'test/shared-redteam.test.ts',
    'test/shared-replay.test.ts',
    'test/shared.test.ts',
    'test/socket-relay.test.ts',
    'test/sse-feed.test.ts',
    'test/storage-sync-redteam-29.test.ts',
    'test/sw-relay-redteam10.test.ts',
    'test/tab-channel-team.test.ts',
    'test/tab-channel-transports.test.ts',
    'test/tab-channel.test.ts',
  ],
  /** Node test files. */
  node: [
    'test/node/server/history-faults.test.mjs',
    'test/node/server/hub-faults.test.mjs',
    'test/node/server/redis-faults.test.mjs',
    'test/node/server/drain.test.mjs',
    'test/node/server/redis-cluster-faults.test.mjs',
  ],
};

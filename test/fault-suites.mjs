/**
 * The long seeded fault runs. `npm test` leaves them out so it stays under 10 minutes on a
 * 2-core machine; `npm run test:faults` runs exactly these, and CI (`.ci/run`) runs it right
 * after `npm test`, so every test still runs in CI. Each prints its seed when it fails.
 * Paths are relative to the project root.
 */
export const faultSuites = {
  // Measured on 2 cores under load (test time, not counting start-up): socket-relay chaos 26 s
  // (three tabs, two hub processes, redis-server), native replay chaos 29 s, clock steps 19 s;
  // history, hub and Redis fault runs 10 + 1 + 11 s; the 2,000-subscriber drain 10–23 s; the
  // three-node Redis Cluster faults 12–20 s.
  /** Browser test files (wtr `files` patterns). */
  browser: [
    'test/socket-relay-chaos.test.ts',
    'test/native-replay-redteam.test.ts',
    'test/clock-steps.test.ts',
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

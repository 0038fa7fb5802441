/**
 * Hub scale-out through Redis: 1 vs 2 vs 4 hub processes behind one Redis, on this machine.
 * Each process holds SUBSCRIBERS SSE clients; publishers POST events round-robin across the
 * processes; an event counts as delivered when every subscriber has it. Reports delivered
 * events/s and publish→receive latency (p50/p99), medians of RUNS runs.
 */
import { startHubProcess, startRedis } from '../test/node/server/redis-helpers.mjs';
import { httpJson, openSse, until } from '../test/node/server/hub-helpers.mjs';
import { median, percentile } from './stats.mjs';

const EVENTS = 2000;
const RUNS = 5;
const SUBSCRIBERS = 25;
const CONCURRENCY = 16;

async function run(processes, redis, round) {
  const hubs = await Promise.all(
    Array.from({ length: processes }, () => startHubProcess(redis.url)),
  );
  const topic = `bench-${processes}-${round}`;
  const streams = [];
  for (const hub of hubs) {
    for (let i = 0; i < SUBSCRIBERS; i++)
      streams.push(await openSse(hub.url(`/sse?topic=${topic}`)));
  }
  await until(() => streams.every((s) => s.records().some((r) => r.event === 'cursor')), 10_000);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const n = next++;
        await httpJson(hubs[n % processes].url(`/publish?topic=${topic}`), {
          method: 'POST',
          body: JSON.stringify({ n, at: Date.now() }),
        });
      }
    }),
  );
  await until(
    () => streams.every((s) => s.text.split('\nevent: ' + topic).length - 1 >= EVENTS),
    60_000,
    'delivery',
  );
  const seconds = (performance.now() - start) / 1000;
  for (const stream of streams) stream.close();
  await Promise.all(hubs.map((hub) => hub.stop()));
  return { rate: EVENTS / seconds, seconds };
}

async function latencyRun(processes, redis) {
  const hubs = await Promise.all(
    Array.from({ length: processes }, () => startHubProcess(redis.url)),
  );
  const topic = `latency-${processes}`;
  const stream = await openSse(hubs[processes - 1].url(`/sse?topic=${topic}`));
  await until(() => stream.records().some((r) => r.event === 'cursor'));
  const latencies = [];
  for (let i = 0; i < 300; i++) {
    const arrived = new Promise((resolve) => {
      const onData = () => {
        if (!stream.text.includes(`data: ${i}\n`)) return;
        stream.res.off('data', onData);
        resolve(performance.now());
      };
      stream.res.on('data', onData);
    });
    const sent = performance.now();
    await httpJson(hubs[0].url(`/publish?topic=${topic}`), { method: 'POST', body: String(i) });
    latencies.push((await arrived) - sent);
  }
  stream.close();
  await Promise.all(hubs.map((hub) => hub.stop()));
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

const redis = await startRedis();
const rows = [];
console.error('hub scale-out through Redis: 1, 2 and 4 processes');
try {
  for (const processes of [1, 2, 4]) {
    const rates = [];
    for (let round = 0; round < RUNS; round++) {
      const { rate } = await run(processes, redis, round);
      rates.push(rate);
      console.error(
        `  ${processes} process(es), run ${round + 1}/${RUNS}: ${rate.toFixed(0)} events/s`,
      );
    }
    const latency = await latencyRun(processes, redis);
    rows.push({
      processes,
      rate: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
      ...latency,
    });
  }
} finally {
  await redis.stop();
}
const base = rows[0].rate;
export const result = {
  events: EVENTS,
  runs: RUNS,
  subscribersPerProcess: SUBSCRIBERS,
  concurrency: CONCURRENCY,
  rows: rows.map((row) => ({ ...row, ratio: row.rate / base })),
};

/**
 * `npm run bench`: runs the benchmarks and writes BENCHMARKS.md. Progress goes to stderr.
 * So far: hub scale-out through Redis and shared feeds across ten tabs (the client and
 * single-hub benchmarks are still to come).
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { ensureCommand, ensureNodeModules } from '../scripts/setup.mjs';

ensureNodeModules();
ensureCommand('redis-server', 'redis-server');
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

const { result } = await import('./hub-scale-out.mjs');
const { sharedTabs } = await import('./shared-tabs.mjs');
const shared = await sharedTabs();
const redisVersion = execFileSync('redis-server', ['--version'])
  .toString()
  .trim()
  .split(' ')[2]
  .replace('v=', '');
const fixed = (value, digits = 0) => value.toFixed(digits);

const table = result.rows
  .map(
    (row) =>
      `| ${row.processes} | ${fixed(row.rate)} | ${fixed(row.min)}–${fixed(row.max)} | ${fixed(row.ratio, 2)} | ${fixed(row.p50, 2)} | ${fixed(row.p99, 2)} |`,
  )
  .join('\n');

writeFileSync(
  'BENCHMARKS.md',
  `# Benchmarks

Measured by \`npm run bench\` on one machine in one run; figures are medians, spreads are
min–max. Regenerate them rather than editing this file.

Machine: ${cpus().length} × ${cpus()[0].model}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; Redis ${redisVersion}.

## Hub scale-out through Redis

${result.events} events published over HTTP (${result.concurrency} concurrent publishers, round-robin
across the processes) to ${result.subscribersPerProcess} SSE subscribers on **each** process; an
event counts once every subscriber has it. ${result.runs} runs per row. Latency: one event at a
time, published on the first process and received on the last (p50/p99 of 300).

| hub processes | delivered events/s | spread | ratio to 1 process | latency p50 (ms) | latency p99 (ms) |
| --- | --- | --- | --- | --- | --- |
${table}

Reading it: on this 2-core machine the hub processes, Redis and the benchmark's own clients
share two cores, so adding processes adds CPU contention, not capacity; the rows show the cost
of the Redis path (every event goes through one Lua script, Pub/Sub and each process's
fan-out) rather than a scaling curve. On a machine with a core per process the same test
measures scaling. Every run also checks correctness: each subscriber received every event.

## Shared feeds: ${shared.tabs} tabs, one connection

${shared.tabs} real Chromium tabs open one page with \`<sse-feed>\` (the CDN file) against the hub over
HTTP/1.1, without and with \`shared\`; then ${shared.events} events are published at ${shared.rate}/s.
Medians of ${shared.runs} runs (spread min–max). Server CPU is this process's (the hub, plus the
benchmark's idle DevTools client); tab time is the sum of the tabs' main-thread task time
(\`TaskDuration\`).

| | tabs that load | server connections | tabs open | tabs with every event | server CPU (ms) | tabs' main-thread time (ms) |
| --- | --- | --- | --- | --- | --- | --- |
${shared.rows
  .map(
    (row) =>
      `| ${row.shared ? '`shared`' : 'not shared'} | ${row.loaded} of ${shared.tabs} | ${row.connections} | ${row.open} | ${row.complete} | ${fixed(row.serverCpuMs)} (${fixed(row.serverCpuSpread[0])}–${fixed(row.serverCpuSpread[1])}) | ${fixed(row.tabsTaskMs)} (${fixed(row.tabsTaskSpread[0])}–${fixed(row.tabsTaskSpread[1])}) |`,
  )
  .join('\n')}

Reading it: without \`shared\`, six SSE streams take every HTTP/1.1 connection Chromium allows
per origin, so the seventh tab does not even load its page. With \`shared\`, one connection
serves every tab; the leader relays each event over \`BroadcastChannel\`, which costs the tabs
less main-thread time per tab than parsing a stream each.

## Still to come

Client benchmarks (each element against its raw browser API and the peer libraries, memory
after 10,000 mount/unmount cycles, bytes) and single-hub capacity (10,000 SSE connections,
fan-out latency against a raw \`node:http\` loop and \`better-sse\`) are not measured yet.
`,
);
execFileSync('npx', ['prettier', '--write', '--log-level=warn', 'BENCHMARKS.md'], {
  stdio: 'inherit',
});
console.error('wrote BENCHMARKS.md');

/**
 * Memory of the hub's de-duplication window per 10,000 message ids: in memory (V8 heap after
 * GC, `DedupWindow` as the memory store holds it) and in Redis (`MEMORY USAGE` of the per-
 * publisher sorted sets the append script writes). Two shapes: one publisher with 10,000 ids,
 * and 100 publishers with 100 each. Ids look like the element's (`msg` = a sequence number;
 * publisher ids of 24 characters).
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { median } from './stats.mjs';

const IDS = 10_000;
const SHAPES = [
  { name: '1 publisher × 10,000 ids', publishers: 1 },
  { name: '100 publishers × 100 ids', publishers: 100 },
];

/** Runs in a child with --expose-gc, so the heap figure is this window and nothing else. */
const child = `
const { DedupWindow } = await import(process.cwd() + '/dist/server/dedup-window.js');
const publishers = Number(process.argv[1]);
const per = ${IDS} / publishers;
const ids = Array.from({ length: publishers }, (_, i) => i.toString(36).padStart(24, 'p'));
const used = () => (gc(), gc(), process.memoryUsage().heapUsed);
const before = used();
const window = new DedupWindow(per, 300_000);
for (let p = 0; p < publishers; p++)
  for (let n = 1; n <= per; n++) window.set(ids[p], String(n), p * per + n);
const after = used();
if (window.size !== ${IDS}) throw new Error('window size ' + window.size);
console.log(after - before);
`;

function heapBytes(publishers) {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--input-type=module', '-e', child, String(publishers)],
    { encoding: 'utf8' },
  );
  return Number(out.trim());
}

async function redisBytes(publishers) {
  const { Redis } = await import('ioredis');
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  await new Promise((resolve) => {
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
  });
  const client = new Redis({ port });
  try {
    const per = IDS / publishers;
    let bytes = 0;
    for (let p = 0; p < publishers; p++) {
      const key = `rt:dedup:${randomBytes(18).toString('base64url')}`;
      const pipeline = client.pipeline();
      for (let n = 1; n <= per; n++) pipeline.zadd(key, p * per + n, String(n));
      await pipeline.exec();
      bytes += Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    }
    return bytes;
  } finally {
    client.disconnect();
    server.kill();
  }
}

export async function dedupMemory({ log = console.error, runs = 3 } = {}) {
  const rows = [];
  for (const shape of SHAPES) {
    log(`dedup window: ${shape.name}`);
    const heap = median(Array.from({ length: runs }, () => heapBytes(shape.publishers)));
    rows.push({ ...shape, heap, redis: await redisBytes(shape.publishers) });
  }
  return { ids: IDS, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await dedupMemory(), null, 2));
}

/**
 * `npm run size`: min+gzip sizes against the budgets of DESIGN.md. Deterministic (same input,
 * same bytes), so it can fail `npm test`; the build itself never fails on size.
 *
 * - the core CDN bundle (every element, Lit included): ≤ 18 KB
 * - each element's own code (Lit excluded, shared internals included): ≤ 3 KB
 * - each lazily loaded chunk (fallback transports, shared mode): ≤ 3 KB
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { minify } from 'terser';

const KB = 1024;
const budgets = { bundle: 18 * KB, element: 3 * KB, lazy: 3 * KB };
const gz = (code) => gzipSync(code, { level: 9 }).length;

async function ownCode(entry) {
  const build = await rollup({
    input: entry,
    external: (id) => id.startsWith('@lit/') || id === 'lit' || id.startsWith('lit/'),
    plugins: [nodeResolve()],
  });
  const { output } = await build.generate({ format: 'es', inlineDynamicImports: false });
  const main = output.find((chunk) => chunk.isEntry);
  const min = await minify(main.code, { ecma: 2021, module: true, format: { comments: false } });
  return min.code;
}

const rows = [];
const check = (name, bytes, budget) => rows.push({ name, bytes, budget, ok: bytes <= budget });

check(
  'dist/cdn/realtime-elements.js (all, Lit included)',
  gz(readFileSync('dist/cdn/realtime-elements.js')),
  budgets.bundle,
);
for (const file of readdirSync('dist')
  .filter((f) => f.endsWith('-define.js'))
  .sort()) {
  const tag = file.slice(0, -'-define.js'.length);
  check(`<${tag}> own code`, gz(await ownCode(`dist/${tag}.js`)), budgets.element);
}
if (existsSync('dist/cdn/chunks')) {
  for (const file of readdirSync('dist/cdn/chunks')
    .filter((f) => f.endsWith('.js'))
    .sort()) {
    check(`lazy chunk ${file}`, gz(readFileSync(`dist/cdn/chunks/${file}`)), budgets.lazy);
  }
}

const kb = (bytes) => `${(bytes / KB).toFixed(2)} KB`;
const width = Math.max(...rows.map((row) => row.name.length));
for (const row of rows) {
  console.log(
    `${row.ok ? '✓' : '✗'} ${row.name.padEnd(width)}  ${kb(row.bytes).padStart(9)} / ${kb(row.budget)}`,
  );
}
const over = rows.filter((row) => !row.ok);
if (over.length) {
  console.error(`\n${over.length} budget(s) exceeded.`);
  process.exit(1);
}

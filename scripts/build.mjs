/** `npm run build`: ESM + .d.ts (tsc), CDN files (rollup), custom-elements.json (analyzer). */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const run = (command, ...args) => execFileSync(command, args, { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('npx', 'tsc', '-p', 'tsconfig.json');
run('npx', 'tsc', '-p', 'tsconfig.server.json');
run('npx', 'tsc', '-p', 'tsconfig.worker.json');
run('npx', 'rollup', '-c', '--silent');
run(
  'npx',
  'cem',
  'analyze',
  '--litelement',
  '--globs',
  'src/*.ts',
  'src/internal/*.ts',
  '--exclude',
  'src/*-define.ts',
  '--quiet',
);
console.log('built dist/ and custom-elements.json');

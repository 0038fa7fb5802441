/**
 * `npm start`: installs what is missing, builds, and serves the demo pages with the built
 * library. Prints the URL to open.
 */
import { execFileSync } from 'node:child_process';
import { ensureNodeModules } from './setup.mjs';

ensureNodeModules();
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

const { startDemoServer } = await import('../demo/server.mjs');
const port = Number(process.env.PORT ?? 8000);
const { url, stop } = await startDemoServer({ port, host: process.env.HOST ?? 'localhost' });
console.log(`\nrealtime-elements demo: ${url}\n(Ctrl+C to stop)`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await stop();
    process.exit(0);
  });
}

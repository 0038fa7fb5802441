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
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0–65535), not "${process.env.PORT}".`);
  process.exit(2);
}
const { url, stop } = await startDemoServer({
  port,
  host: process.env.HOST ?? 'localhost',
}).catch((error) => {
  // A busy port is an everyday mistake: one line that says what to do, not a stack.
  if (error.code !== 'EADDRINUSE') throw error;
  console.error(error.message);
  process.exit(1);
});
console.log(`\nrealtime-elements demo: ${url}\n(Ctrl+C to stop)`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await stop();
    process.exit(0);
  });
}

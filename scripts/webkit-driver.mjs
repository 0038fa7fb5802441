/**
 * WebKitWebDriver under its own Xvfb display (MiniBrowser has no headless mode), for the
 * browser suite's WebKit launcher and the demo test. Xvfb picks a free display itself
 * (`-displayfd`), the driver listens on a free port, so parallel runs on one machine do not
 * collide; both are killed by `stop()` and when the process exits.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Starts Xvfb on a display it picks itself, resolves with `:N`. */
function startXvfb(xvfb, children) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      xvfb,
      ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
    );
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let display = '';
    child.stdio[3].on('data', (chunk) => {
      display += chunk;
      if (display.includes('\n')) resolve(`:${display.trim()}`);
    });
    child.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${stderr.trim()}`)));
    child.on('error', reject);
  });
}

async function waitForDriver(port, child) {
  const deadline = Date.now() + 20_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if ((await response.json()).value?.ready) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WebKitWebDriver did not become ready on port ${port}`);
}

/**
 * Starts Xvfb and WebKitWebDriver (`paths` from find-webkit.mjs). Resolves with the driver's
 * `port` and `stop()`. The driver's stderr is shown with `WEBKIT_DEBUG=1`.
 */
export async function startWebKitDriver(paths) {
  const children = new Set();
  const stop = () => {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
    process.removeListener('exit', stop);
  };
  process.once('exit', stop);
  try {
    const display = await startXvfb(paths.xvfb, children);
    const port = await freePort();
    const driver = spawn(paths.driver, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: display },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(driver);
    driver.stderr.on('data', (chunk) => {
      if (process.env.WEBKIT_DEBUG) process.stderr.write(chunk);
    });
    await waitForDriver(port, driver);
    return { port, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * webdriverio capabilities for MiniBrowser; `args` are MiniBrowser's command-line flags
 * (`--automation` is always there: without it the new-session request never returns).
 */
export function webkitCapabilities(paths, args = [], certificates = []) {
  return {
    browserName: 'MiniBrowser',
    // WebKitWebDriver 2.50 has no BiDi: without this, webdriverio asks for webSocketUrl and the
    // session is refused.
    'wdio:enforceWebDriverClassic': true,
    // certificates: `{ host, certificateFile }` trusted for the whole session.
    'webkitgtk:browserOptions': {
      binary: paths.browser,
      args: ['--automation', ...args],
      certificates,
    },
  };
}

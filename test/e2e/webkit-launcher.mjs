/**
 * WebKitGTK for @web/test-runner: MiniBrowser driven by WebKitWebDriver (WebDriver classic),
 * under an Xvfb display this launcher starts itself (MiniBrowser has no headless mode). Both
 * helpers run on free ports/displays, so parallel runs on one machine do not collide, and are
 * killed when the run stops or the process exits.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { WebdriverLauncher } from '@web/test-runner-webdriver';
import { findWebKit } from '../../scripts/find-webkit.mjs';
import { startSiblingProxy } from './sibling-proxy.mjs';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Starts Xvfb on a display it picks itself (`-displayfd`), resolves with `:N`. */
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

export class WebKitLauncher extends WebdriverLauncher {
  /**
   * `certificates`: `{ host, certificateFile }` (PEM) that MiniBrowser trusts for that host, for
   * the whole session (WebDriver classic has no per-window switch): a test's own TLS server.
   */
  constructor(paths = findWebKit(), { certificates = [] } = {}) {
    if (!paths) throw new Error('WebKitGTK is not installed (Debian: webkit2gtk-driver, xvfb).');
    super({
      hostname: '127.0.0.1',
      port: 4444,
      logLevel: 'error',
      capabilities: {
        browserName: 'MiniBrowser',
        // WebKitWebDriver 2.50 has no BiDi: without this, webdriverio asks for webSocketUrl
        // and the session is refused.
        'wdio:enforceWebDriverClassic': true,
        'webkitgtk:browserOptions': {
          binary: paths.browser,
          args: [
            '--automation',
            // Otherwise window.open() returns null.
            '--javascript-can-open-windows-automatically=true',
          ],
          certificates,
        },
      },
    });
    this.paths = paths;
    this.children = new Set();
    this.killAll = () => {
      for (const child of this.children) child.kill('SIGKILL');
    };
  }

  async initialize(config, ...rest) {
    process.once('exit', this.killAll);
    // Sibling host names (a.example.test …) through a loopback proxy; loopback goes direct.
    this.proxy = await startSiblingProxy();
    this.options.capabilities['webkitgtk:browserOptions'].args.push(
      `--proxy=http://127.0.0.1:${this.proxy.address().port}`,
      '--ignore-host=localhost',
      '--ignore-host=127.0.0.1',
    );
    const display = await startXvfb(this.paths.xvfb, this.children);
    const port = await freePort();
    const driver = spawn(this.paths.driver, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: display },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.children.add(driver);
    driver.stderr.on('data', (chunk) => {
      if (process.env.WEBKIT_DEBUG) process.stderr.write(chunk);
    });
    await waitForDriver(port, driver);
    this.options.port = port;
    await super.initialize(config, ...rest);
    // The report's label; the capability name would say MiniBrowser.
    this.name = 'WebKit';
  }

  async stop() {
    await super.stop();
    this.killAll();
    this.children.clear();
    this.proxy?.close();
    process.removeListener('exit', this.killAll);
  }
}

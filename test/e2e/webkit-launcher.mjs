/**
 * WebKitGTK for @web/test-runner: MiniBrowser driven by WebKitWebDriver (WebDriver classic),
 * under an Xvfb display of its own (scripts/webkit-driver.mjs), stopped with the run.
 */
import { WebdriverLauncher } from '@web/test-runner-webdriver';
import { findWebKit } from '../../scripts/find-webkit.mjs';
import { startWebKitDriver, webkitCapabilities } from '../../scripts/webkit-driver.mjs';
import { startSiblingProxy } from './sibling-proxy.mjs';

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
      // Otherwise window.open() returns null.
      capabilities: webkitCapabilities(
        paths,
        ['--javascript-can-open-windows-automatically=true'],
        certificates,
      ),
    });
    this.paths = paths;
  }

  async initialize(config, ...rest) {
    // Sibling host names (a.example.test …) through a loopback proxy; loopback goes direct.
    this.proxy = await startSiblingProxy();
    this.options.capabilities['webkitgtk:browserOptions'].args.push(
      `--proxy=http://127.0.0.1:${this.proxy.address().port}`,
      '--ignore-host=localhost',
      '--ignore-host=127.0.0.1',
    );
    this.driverProcess = await startWebKitDriver(this.paths);
    this.options.port = this.driverProcess.port;
    await super.initialize(config, ...rest);
    // The report's label; the capability name would say MiniBrowser.
    this.name = 'WebKit';
  }

  async stop() {
    await super.stop();
    this.driverProcess?.stop();
    this.proxy?.close();
  }
}

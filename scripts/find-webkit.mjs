import { existsSync } from 'node:fs';

/** WebKitGTK's MiniBrowser: the browser WebKitWebDriver drives (Debian: webkit2gtk-driver). */
const miniBrowsers = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/libexec/webkit2gtk-4.1/MiniBrowser',
];

const drivers = ['/usr/bin/WebKitWebDriver'];
const xvfbs = ['/usr/bin/Xvfb'];

const first = (list) => list.find((path) => existsSync(path));

/**
 * What the WebKit run needs: `WEBKIT_DRIVER_PATH` / `WEBKIT_BROWSER_PATH` / `XVFB_PATH` when
 * set, else the Debian paths. Returns undefined when any part is missing.
 */
export function findWebKit() {
  const driver = process.env.WEBKIT_DRIVER_PATH ?? first(drivers);
  const browser = process.env.WEBKIT_BROWSER_PATH ?? first(miniBrowsers);
  const xvfb = process.env.XVFB_PATH ?? first(xvfbs);
  if (!driver || !browser || !xvfb) return undefined;
  return { driver, browser, xvfb };
}

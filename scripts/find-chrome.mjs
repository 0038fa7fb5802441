import { existsSync } from 'node:fs';

const candidates = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The Chrome/Chromium to test with: `CHROME_PATH` when set, else the first one installed. */
export function findChrome() {
  if (process.env.CHROME_PATH) return process.env.CHROME_PATH;
  return candidates.find((path) => existsSync(path));
}

/** Flags that work for headless Chromium as root on a machine with no outside network. */
export const chromeArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  // Sibling host names on loopback, for cross-origin and cookie-domain tests.
  '--host-resolver-rules=MAP *.example.test 127.0.0.1',
];

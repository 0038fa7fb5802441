import { existsSync } from 'node:fs';

const candidates = [
  '/usr/bin/firefox-esr',
  '/usr/bin/firefox',
  '/Applications/Firefox.app/Contents/MacOS/firefox',
];

/** The Firefox to test with: `FIREFOX_PATH` when set, else the first one installed. */
export function findFirefox() {
  if (process.env.FIREFOX_PATH) return process.env.FIREFOX_PATH;
  return candidates.find((path) => existsSync(path));
}

/** The loopback host names the tests use for cross-origin and cookie-domain cases. */
export const siblingHosts = [
  'example.test',
  'a.example.test',
  'b.example.test',
  'other.example.test',
  // An internationalized sibling (the WPT origin serialisation check), in its ASCII form.
  'xn--n8j6ds53lwwkrqhv28a.example.test',
];

/**
 * Preferences for Firefox under test. Once a test opens a second tab, the test page is a
 * background tab and Firefox clamps its timers to 1 s (mocha's included); these two prefs lift
 * the clamp, as puppeteer's `--disable-background-timer-throttling` does for Chromium.
 */
export const firefoxPrefs = {
  'dom.min_background_timeout_value': 0,
  'dom.min_background_timeout_value_without_budget_throttling': 0,
  // Popups from window.open open as tabs: without a user gesture they would be blocked.
  'dom.disable_open_during_load': false,
  // Sibling host names on loopback, like Chromium's --host-resolver-rules (exact names only).
  'network.dns.localDomains': siblingHosts.join(','),
};

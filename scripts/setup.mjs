/**
 * Installs what `npm start` and `npm test` need when it is missing: npm packages always; on
 * Debian as root, the browsers (Chromium, Firefox ESR, WebKitGTK with Xvfb) and other system
 * packages through apt. Uses only Node built-ins, because it runs before node_modules exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { findChrome } from './find-chrome.mjs';
import { findFirefox } from './find-firefox.mjs';
import { findWebKit } from './find-webkit.mjs';

const run = (command, args, options = {}) =>
  execFileSync(command, args, { stdio: 'inherit', ...options });

const isDebianRoot = () => existsSync('/etc/debian_version') && process.getuid?.() === 0;

/** `npm ci` on a fresh clone, `npm install` when package.json changed since the last install. */
export function ensureNodeModules() {
  const marker = 'node_modules/.package-lock.json';
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync('package.json').mtimeMs) return;
  console.log('› installing npm packages');
  run('npm', [existsSync('package-lock.json') ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

let aptUpdated = false;
function aptInstall(packages) {
  if (!aptUpdated) run('apt-get', ['update', '-qq']);
  aptUpdated = true;
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** A Chrome/Chromium for the browser tests: found, installed on Debian as root, or a clear error. */
export function ensureChrome() {
  if (findChrome()) return findChrome();
  if (isDebianRoot()) {
    console.log('› installing Chromium (apt-get install chromium)');
    aptInstall(['chromium']);
    const found = findChrome();
    if (found) return found;
  }
  console.error(
    'No Chrome or Chromium found. Install one, or set CHROME_PATH to its executable, e.g.\n' +
      '  CHROME_PATH=/path/to/chrome npm test',
  );
  process.exit(1);
}

/** A system command (e.g. `redis-server`), installed from a Debian package when missing. */
export function ensureCommand(command, debianPackage) {
  const has = () => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return;
  if (isDebianRoot()) {
    console.log(`› installing ${debianPackage} (apt-get install ${debianPackage})`);
    aptInstall([debianPackage]);
    if (has()) return;
  }
  console.error(`${command} is required: install the ${debianPackage} package.`);
  process.exit(1);
}

/** Each engine: how to find it, its Debian packages, and what to set when it lives elsewhere. */
const engines = {
  chromium: { find: findChrome, packages: ['chromium'], hint: 'set CHROME_PATH' },
  firefox: { find: findFirefox, packages: ['firefox-esr'], hint: 'set FIREFOX_PATH' },
  webkit: {
    find: findWebKit,
    packages: ['webkit2gtk-driver', 'xvfb'],
    hint: 'set WEBKIT_DRIVER_PATH, WEBKIT_BROWSER_PATH and XVFB_PATH',
  },
};

/**
 * The browsers of the engines to test in, installed on Debian as root when missing. Returns the
 * engines still missing; with CI=true a missing engine ends the run (CI never skips one).
 */
export function ensureEngines(names) {
  const missing = names.filter((name) => !engines[name].find());
  const packages = missing.flatMap((name) => engines[name].packages);
  if (packages.length && isDebianRoot()) {
    console.log(`› installing ${packages.join(', ')} (apt-get install)`);
    aptInstall(packages);
  }
  const still = names.filter((name) => !engines[name].find());
  for (const name of still) {
    const { packages: debian, hint } = engines[name];
    console.error(`${name} is not installed: install ${debian.join(' ')} (Debian), or ${hint}.`);
  }
  if (still.length && process.env.CI) {
    console.error('CI=true: every engine must run.');
    process.exit(1);
  }
  return still;
}

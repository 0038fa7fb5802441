/**
 * The README's "Browser support" table, generated (`npm run docs`; `npm test` checks it):
 *
 * - the three tested columns come from what the suite runs: a row is ✓ in an engine unless
 *   `test/engines.mjs` lists one of the row's test files as a gap there (then — or a footnote);
 * - engine differences the elements handle, and open ones, are footnotes kept here by the row;
 * - the minimum column is computed from MDN's browser-compat-data (the devDependency's version
 *   is printed under the table) over every web API and language feature the row's code uses:
 *   the newest "version_added" wins. It is compatibility data, not a test.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { engineGaps } from '../test/engines.mjs';

const require = createRequire(import.meta.url);

/** The versions `npm test` runs here (Debian bookworm packages; setup.mjs installs them). */
export const testedEngines = [
  ['chromium', 'Chromium 156'],
  ['firefox', 'Firefox 153 ESR'],
  ['webkit', 'WebKitGTK 2.50'],
];

/**
 * What every element needs: the ES2021 build (logical assignment is its newest syntax, Lit's
 * floor too), custom elements, and `structuredClone` — messages are copied at the call, so a
 * change after `post()`/`send()` is not what goes (every element that sends one).
 */
const base = [
  'javascript.operators.logical_or_assignment',
  'javascript.builtins.Promise.any',
  'api.CustomElementRegistry.define',
];

/**
 * Each row: its label, the compatibility-data keys of what its code uses, the test files that
 * prove it (for the tested columns), and notes by engine (footnotes; `open: true` marks a
 * difference not handled).
 */
export const rows = [
  {
    label: 'every element (custom elements, ES2021 build)',
    features: base,
    tests: ['test/define.test.ts', 'test/inherited-names.test.ts', 'test/lazy-chunks.test.ts'],
  },
  {
    label: 'CDN bundles and the autoloader',
    features: [...base, 'api.MutationObserver'],
    tests: ['test/cdn.test.ts'],
  },
  {
    label: '`<tab-channel>` BroadcastChannel',
    features: [...base, 'api.BroadcastChannel', 'api.structuredClone'],
    tests: [
      'test/tab-channel.test.ts',
      'test/broadcastchannel-wpt.test.ts',
      'test/broadcastchannel-wpt-contexts.test.ts',
      'test/broadcastchannel-wpt-redteam.test.ts',
      'test/tab-channel-redteam-29.test.ts',
    ],
  },
  {
    label: '`<tab-channel>` storage, IndexedDB and cookie transports',
    features: [
      ...base,
      'api.structuredClone',
      'javascript.builtins.Object.hasOwn',
      'api.Window.storage_event',
      'api.IDBFactory.open',
      'api.MessageChannel',
    ],
    tests: ['test/tab-channel-transports.test.ts', 'test/tab-channel-clock-steps.test.ts'],
  },
  {
    label: '`<tab-channel>` `elect`, requests, `shared` mode (Web Locks)',
    features: [...base, 'api.LockManager.request', 'api.structuredClone'],
    tests: [
      'test/tab-channel-team.test.ts',
      'test/tab-channel-join-race.test.ts',
      'test/tab-channel-retain-redteam.test.ts',
      'test/tab-channel-retain-redteam12.test.ts',
      'test/shared.test.ts',
      'test/shared-redteam.test.ts',
      'test/shared-replay.test.ts',
    ],
  },
  {
    label: '`<storage-sync>`',
    features: [...base, 'api.Window.storage_event', 'api.Window.localStorage'],
    tests: [
      'test/storage-sync.test.ts',
      'test/storage-sync-extras.test.ts',
      'test/storage-sync-closed-removal.test.ts',
      'test/storage-sync-redteam-29.test.ts',
    ],
  },
  {
    label: '`<popup-bridge>` popup and iframe',
    features: [...base, 'api.Window.postMessage', 'api.structuredClone', 'api.MessageChannel'],
    tests: ['test/popup-bridge.test.ts', 'test/popup-bridge-races.test.ts'],
  },
  {
    label: '`<sw-relay>`',
    features: [
      ...base,
      'api.ServiceWorkerContainer.register',
      'api.Clients.matchAll',
      'api.structuredClone',
      'api.MessageChannel',
    ],
    tests: [
      'test/sw-relay.test.ts',
      'test/sw-relay-unregistered.test.ts',
      'test/sw-relay-redteam10.test.ts',
      'test/sw-relay-redteam10b.test.ts',
      'test/sw-relay-redteam11.test.ts',
    ],
  },
  {
    label: '`<sse-feed>` fetch mode',
    features: [
      ...base,
      'api.Response.body',
      'api.ReadableStreamDefaultReader.read',
      'api.TextDecoder.decode',
      'api.AbortController.abort',
    ],
    tests: [
      'test/sse-feed.test.ts',
      'test/sse-feed-spec.test.ts',
      'test/sse-feed-peers.test.ts',
      'test/sse-feed-redteam.test.ts',
      'test/sse-feed-once.test.ts',
      'test/sse-feed-connect-timeout.test.ts',
      'test/sse-parser.test.ts',
      'test/sse-parser-peers.test.ts',
    ],
  },
  {
    label: '`<sse-feed>` native mode (EventSource)',
    features: [...base, 'api.EventSource'],
    tests: [
      'test/sse-feed.test.ts',
      'test/sse-feed-spec.test.ts',
      'test/sse-feed-peers.test.ts',
      'test/native-replay-redteam.test.ts',
    ],
  },
  {
    label: '`<socket-relay>`',
    features: [...base, 'api.WebSocket', 'api.structuredClone'],
    tests: ['test/socket-relay.test.ts', 'test/socket-relay-chaos.test.ts'],
  },
  {
    label: '`<poll-feed>`',
    features: [...base, 'api.fetch', 'api.AbortController.abort'],
    tests: ['test/poll-feed.test.ts'],
  },
  {
    label: 'reconnects: backoff, `online`/`offline`, clock steps',
    features: [...base, 'api.Window.online_event', 'api.Navigator.onLine'],
    tests: [
      'test/reconnect-controller.test.ts',
      'test/replay-filter.test.ts',
      'test/clock-steps.test.ts',
    ],
  },
  {
    label: 'the hub from the browser (origins, presence, expiry, HTTP/2)',
    features: [...base, 'api.EventSource', 'api.WebSocket', 'api.fetch'],
    tests: [
      'test/hub.test.ts',
      'test/hub-origin.test.ts',
      'test/hub-presence.test.ts',
      'test/hub-expiry.test.ts',
      'test/hub-history.test.ts',
      'test/hub-unsubscribe.test.ts',
      'test/hub-drain.test.ts',
      'test/hub-http2.test.ts',
      'test/redteam-24.test.ts',
    ],
  },
  {
    label: 'back/forward cache (network elements)',
    features: [...base, 'api.Window.pageshow_event', 'api.PageTransitionEvent.persisted'],
    tests: [
      'test/page-lifecycle.test.ts',
      'test/redteam-22.test.ts',
      'test/tab-channel-bfcache.test.ts',
      'test/sw-relay-bfcache.test.ts',
    ],
  },
  {
    label: 'framework wrappers (Vue, Svelte, Angular, React), `validate`',
    features: base,
    tests: [
      'test/validate.test.ts',
      'test/redteam-25.test.ts',
      'test/frameworks/vue.test.ts',
      'test/frameworks/svelte.test.ts',
      'test/frameworks/angular.test.ts',
      'test/frameworks/react.test.tsx',
      'test/frameworks/react18.test.ts',
    ],
  },
];

const fetchRow = '`<sse-feed>` fetch mode';
const nativeRow = '`<sse-feed>` native mode (EventSource)';

/**
 * Engine differences seen in this suite, each a footnote on its row and engine: `[row label,
 * engine, text]`. Where the element handles the difference, the text says how (and a test in
 * that engine proves it); "Open:" marks what it cannot change.
 */
const cacheRow = 'back/forward cache (network elements)';
const leaving =
  "Firefox and WebKit cut a leaving page's requests, sockets and lazy chunk loads when the navigation starts, before `pagehide`: every failure of the network's kind from `beforeunload` on pauses the element quietly (open or still connecting), and it resumes from its cursor if the page stays (a 204, a download) or comes back.";

export const differences = [
  [cacheRow, 'firefox', leaving],
  [cacheRow, 'webkit', leaving],
  [
    cacheRow,
    'webkit',
    'WebKit keeps a page with a `BroadcastChannel` in the cache and drops what is posted to it meanwhile (Chromium and Firefox evict such a page on the first message: it loads afresh on Back). A `<tab-channel>` member with `retain`, `presence`, `elect` or pending requests catches up on `pageshow` as a late joiner does: the newest retained message (or its clear) and the replies given meanwhile reach it; `<sw-relay>` asks the worker for what it relayed meanwhile, as in Chromium.',
  ],
  [
    cacheRow,
    'chromium',
    "A page in the cache is left out of the worker's `clients.matchAll`: `<sw-relay>` asks the worker for what it relayed meanwhile on `pageshow` (kept: the newest 500), and reports `message-lost` for what it cannot have.",
  ],
  [
    fetchRow,
    'webkit',
    "WebKit's `fetch` sends a header's characters as UTF-8 (the others one byte each, as Fetch says): the element sends an id up to U+00FF in `Last-Event-ID` as it is, and one with a character above U+00FF (which no engine's `fetch` can put in a header) in the `lastEventId` query, which the hub reads. Open: a server that reads only the header does not resume such an id in WebKit.",
  ],
  [
    fetchRow,
    'webkit',
    'WebKitGTK reports a cut chunked body as its normal end: with `done-data` set, an end without it counts as a cut (resumed by id, else `interrupted`). Open: without `done-data` a `once` stream cannot tell a cut from the end there.',
  ],
  [
    fetchRow,
    'webkit',
    "WebKit's `EventSource` reports nothing at all for a refused port (`readyState` stays `CONNECTING`): `connect-timeout` (10 s) abandons any attempt not open by then with `timeout` and retries, in both modes.",
  ],
  [
    nativeRow,
    'webkit',
    "WebKit's `EventSource` reports nothing at all for a refused port (`readyState` stays `CONNECTING`): `connect-timeout` (10 s) abandons any attempt not open by then with `timeout` and retries, in both modes.",
  ],
  [
    nativeRow,
    'firefox',
    "Open: Firefox's and WebKit's `EventSource` do not move the resume point on an `id:` block without `data` (HTML § 9.2.6 and Chromium do): native mode resumes there from the last event with data, as plain `EventSource` does. Fetch mode follows the spec in every engine.",
  ],
  [
    nativeRow,
    'webkit',
    "Open: Firefox's and WebKit's `EventSource` do not move the resume point on an `id:` block without `data` (HTML § 9.2.6 and Chromium do): native mode resumes there from the last event with data, as plain `EventSource` does. Fetch mode follows the spec in every engine.",
  ],
  [
    nativeRow,
    'firefox',
    "Firefox's `EventSource` waits 5 s before reconnecting unless the server sends `retry:` (Chromium and WebKit 3 s); the hub sends one.",
  ],
  [
    '`<socket-relay>`',
    'webkit',
    'WebKit fires `error` and no `close` when a connection is refused before it began: the element takes that error as the drop (1006) and retries.',
  ],
  [
    '`<socket-relay>`',
    'firefox',
    "Firefox closes a page's WebSockets with 1001 as a navigation starts, before `pagehide`: taken as the navigation's doing (paused, no error; resumed if the page stays).",
  ],
  [
    '`<poll-feed>`',
    'webkit',
    'WebKitGTK (libsoup 3.2) sends every `POST` on a new connection, HTTP/2 too: a `method="POST"` poll never reuses one. Safari has another network stack (not tested).',
  ],
  [
    '`<sw-relay>`',
    'firefox',
    "A worker unregistered and replaced by a new registration whose `clients.claim()` takes the pages goes `redundant` in Firefox and WebKit (Chromium's keeps answering): the element opens again on the new registration. An opaque-origin frame gets a `navigator.serviceWorker` whose every promise rejects: reported `unsupported`, as where it throws.",
  ],
  [
    '`<sw-relay>`',
    'webkit',
    "A worker unregistered and replaced by a new registration whose `clients.claim()` takes the pages goes `redundant` in Firefox and WebKit (Chromium's keeps answering): the element opens again on the new registration. A second window may see the worker stay `activating` while it already controls that window: counted as ready.",
  ],
  [
    '`<popup-bridge>` popup and iframe',
    'firefox',
    "`window.open` throws in a sandbox without `allow-popups` (others return `null`): `blocked` either way. A message to a popup's first `about:blank` (the opener's origin) is an uncaught error in Firefox: only the opened window says hello.",
  ],
  [
    '`<storage-sync>`',
    'firefox',
    "The `storage` event after another tab's removal may come before the freed space counts: a write refused for quota is retried and reported once. A tab restored from the back/forward cache gets no `storage` event for what changed meanwhile: the element reads its key again on `pageshow`.",
  ],
  [
    '`<tab-channel>` storage, IndexedDB and cookie transports',
    'webkit',
    'WebKit refuses `Domain=localhost` cookies: the cookie transport reports `unsupported` for `domain="localhost"`; real sibling hosts work (the tests reach them through a loopback proxy, as WebKitGTK cannot map host names).',
  ],
  [
    '`<tab-channel>` BroadcastChannel',
    'webkit',
    "Open: WebKit registers a new `BroadcastChannel` asynchronously (whatwg/html#7267): a post made by another tab in the moment right after this tab's channel was created may not reach it. `<tab-channel>`'s own handshakes are not affected (each answer follows a registration that is complete).",
  ],
];

const browsers = [
  ['chrome', 'Chrome'],
  ['firefox', 'Firefox'],
  ['safari', 'Safari'],
];

/** The first version of a compatibility-data support entry (the first, unflagged statement). */
function versionAdded(support) {
  const statements = Array.isArray(support) ? support : [support];
  const plain = statements.find((s) => s && !s.flags && !s.prefix && !s.alternative_name);
  const version = plain?.version_added;
  return typeof version === 'string' ? version.replace(/^≤/, '') : undefined;
}

const compare = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return 0;
};

/** The minimum versions for a list of feature keys: `Chrome 98, Firefox 94, Safari 15.4`. */
export function minimum(features, data = require('@mdn/browser-compat-data')) {
  return browsers
    .map(([id, name]) => {
      let newest = '0';
      for (const key of features) {
        const entry = key.split('.').reduce((node, part) => node?.[part], data);
        const version = entry && versionAdded(entry.__compat.support[id]);
        if (!version) throw new Error(`browser-compat-data has no ${id} version for ${key}`);
        if (compare(version, newest) > 0) newest = version;
      }
      return `${name} ${newest}`;
    })
    .join(', ');
}

/** The table and its footnotes, as Markdown. Every browser test file must be in a row. */
export function browserSupportTable(data = require('@mdn/browser-compat-data')) {
  const covered = new Set(rows.flatMap((row) => row.tests));
  const files = readdirSync('test', { recursive: true })
    .map((file) => `test/${file}`)
    .filter((file) => /\.test\.tsx?$/.test(file) && !file.startsWith('test/types/'));
  const missing = files.filter((file) => !covered.has(file));
  if (missing.length) throw new Error(`Browser support: no row tests ${missing.join(', ')}`);
  const notes = [];
  const mark = (text) => {
    let index = notes.indexOf(text);
    if (index < 0) index = notes.push(text) - 1;
    return String(index + 1).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[d]);
  };
  const header = [
    'element / transport',
    ...testedEngines.map(([, name]) => name),
    'minimum (compatibility data)',
  ];
  const lines = [header, header.map(() => '---')];
  for (const row of rows) {
    const cells = [row.label];
    for (const [engine] of testedEngines) {
      const gaps = engineGaps.filter(
        (gap) => gap.engine === engine && row.tests.includes(gap.file),
      );
      const whole = gaps.some((gap) => !gap.test);
      let cell = whole && gaps.length === row.tests.length ? '—' : '✓';
      for (const gap of gaps) {
        cell += mark(
          `${gap.test ? `not tested: "${gap.test}"` : `\`${gap.file}\` not run`} — ${gap.reason}.`,
        );
      }
      for (const [label, on, text] of differences) {
        if (label === row.label && on === engine) cell += mark(text);
      }
      cells.push(cell);
    }
    cells.push(minimum(row.features, data));
    lines.push(cells);
  }
  const table = lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  const { version } = data.__meta;
  const footnotes = notes.map((text) => `${mark(text)} ${text}`).join('\n\n');
  return `${table}\n\nMinimum versions: the newest first version among the APIs and syntax each row uses, from MDN's browser-compat-data ${version}; **not tested here**.\n${footnotes ? `\n${footnotes}\n` : ''}`;
}

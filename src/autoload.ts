/**
 * The autoloader: defines only the tags a page uses, each loaded the first time it is seen in
 * the document — at load or added later (a framework rendering, `innerHTML`, …).
 *
 * ```html
 * <script type="module" src="https://cdn.jsdelivr.net/npm/realtime-elements/dist/cdn/autoload.js"></script>
 * <sse-feed src="/events"></sse-feed> <!-- only <sse-feed>'s code is downloaded -->
 * ```
 *
 * Elements inside shadow roots are not seen: import their define modules instead.
 */
import { isServer } from './internal/is-server.js';

const loaders: Record<string, () => Promise<unknown>> = {
  'tab-channel': () => import('./tab-channel-define.js'),
  'storage-sync': () => import('./storage-sync-define.js'),
  'popup-bridge': () => import('./popup-bridge-define.js'),
  'sw-relay': () => import('./sw-relay-define.js'),
  'sse-feed': () => import('./sse-feed-define.js'),
  'socket-relay': () => import('./socket-relay-define.js'),
  'poll-feed': () => import('./poll-feed-define.js'),
};

const selector = Object.keys(loaders).join(',');
const requested = new Set<string>();

function load(tag: string): void {
  if (requested.has(tag) || customElements.get(tag)) return;
  requested.add(tag);
  loaders[tag]().catch((error: unknown) => {
    // A failed download (offline, blocked) is retried the next time the tag is seen.
    requested.delete(tag);
    console.error(`realtime-elements: <${tag}> could not be loaded.`, error);
  });
}

function scan(root: Element | Document): void {
  if (root instanceof Element && root.localName in loaders) load(root.localName);
  for (const element of root.querySelectorAll(selector)) load(element.localName);
}

if (!isServer) {
  scan(document);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node instanceof Element) scan(node);
    }
  }).observe(document, { childList: true, subtree: true });
}

export {};

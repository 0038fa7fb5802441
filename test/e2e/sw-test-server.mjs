/**
 * Service-worker scripts for `<sw-relay>` tests, under /sw-test/ (so that is their scope):
 * worker.js — the shipped relay worker, with a version comment the `sw-bump` command changes
 * (a byte-different script is an update); slow-worker.js — an existing classic worker that
 * uses the importScripts form and never answers requests; keep-2-worker.js — the relay keeping
 * only 2 posts for pages back from the back/forward cache; witness-worker.js — tells the pages
 * of each request it handles (channel "requests-seen"); no-ack-worker.js — the relay with its
 * acknowledgements to the sending page dropped, and its answer to `since` not saying it
 * acknowledges (as an older relay); ack-first-worker.js — the
 * same after its first (as one terminated after relaying); both versioned like worker.js;
 * drop-once-worker.js — drops the first copy of each post whose data starts with "drop" (as a
 * browser drops a message to a worker it stops); slow-ack-worker.js — acknowledges 6 s late and
 * answers a request with how often it relayed each number; anything else — 404.
 */
import { readFile } from 'node:fs/promises';

export function swTestServer() {
  // One version per engine: a run of three engines shares this server, and one engine's bump
  // in the middle of another's update made that one install a second version (its waiting
  // worker, told to skip waiting, was replaced and the update never finished).
  const versions = new Map();
  const engineOf = (userAgent = '') =>
    /Firefox\//.test(userAgent) ? 'Firefox' : /Chrome\//.test(userAgent) ? 'Chrome' : 'WebKit';
  return {
    name: 'sw-test-server',
    async middleware(context, next) {
      if (!context.path.startsWith('/sw-test/')) return next();
      const file = context.path.slice('/sw-test/'.length);
      const version = versions.get(engineOf(context.get('User-Agent'))) ?? 1;
      context.set('Cache-Control', 'no-store');
      if (file === 'worker.js') {
        context.type = 'text/javascript';
        context.body = `${await readFile('dist/sw-relay-worker.js', 'utf8')}\n// version ${version}\n`;
      } else if (file === 'slow-worker.js') {
        context.type = 'text/javascript';
        context.body = `importScripts('/dist/sw-relay-import.js');
self.installRelay(self, { onRequest: (data) => {
  if (data === 'hang') return new Promise(() => {});
  if (data === 'throw') throw new Error('handler failed');
  return { answered: data };
} });
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));`;
      } else if (file === 'keep-2-worker.js') {
        // The relay keeping only its 2 newest posts for pages back from the back/forward cache.
        context.type = 'text/javascript';
        context.body = `importScripts('/dist/sw-relay-import.js');
self.installRelay(self, { keep: 2 });
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));`;
      } else if (file === 'no-ack-worker.js' || file === 'ack-first-worker.js') {
        context.type = 'text/javascript';
        context.body = `const postMessage = Client.prototype.postMessage;
let acks = ${file === 'no-ack-worker.js' ? 0 : 1};
Client.prototype.postMessage = function (message, ...rest) {
  if (message?.kind !== 'ack' || acks-- > 0) return postMessage.call(this, message, ...rest);
};
${
  file === 'no-ack-worker.js'
    ? `// Nor does its answer to \`since\` say that it acknowledges (as an older relay's).
const reply = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (message, ...rest) {
  return reply.call(this, message?.ack ? { ...message, ack: undefined } : message, ...rest);
};`
    : ''
}
importScripts('/dist/sw-relay-import.js');
self.installRelay(self);
// version ${version}`;
      } else if (file === 'drop-once-worker.js') {
        // As a browser drops a message to a worker it is stopping: the first copy of each post
        // whose data starts with "drop" is neither relayed nor acknowledged; a copy sent again is.
        context.type = 'text/javascript';
        context.body = `const dropped = new Set();
self.addEventListener('message', (event) => {
  const envelope = event.data;
  const id = envelope?.sender + ' ' + envelope?.n;
  if (envelope?.kind !== 'post' || !String(envelope.data).startsWith('drop') || dropped.has(id)) return;
  dropped.add(id);
  event.stopImmediatePropagation();
});
importScripts('/dist/sw-relay-import.js');
self.installRelay(self);
// version ${version}`;
      } else if (file === 'slow-ack-worker.js') {
        // Acknowledges each post 6 s late (a worker slow under load), and answers a request with
        // how often it relayed each sender's number to a page.
        context.type = 'text/javascript';
        context.body = `const postMessage = Client.prototype.postMessage;
const relayed = {};
Client.prototype.postMessage = function (message, ...rest) {
  if (message?.kind === 'message') relayed[message.n] = (relayed[message.n] ?? 0) + 1;
  if (message?.kind !== 'ack') return postMessage.call(this, message, ...rest);
  setTimeout(() => postMessage.call(this, message, ...rest), 6000);
};
importScripts('/dist/sw-relay-import.js');
self.installRelay(self, { onRequest: () => relayed });
// version ${version}`;
      } else if (file === 'witness-worker.js') {
        // Tells every page of each request it handles, on the channel "requests-seen".
        context.type = 'text/javascript';
        context.body = `importScripts('/dist/sw-relay-import.js');
self.installRelay(self, { onRequest: async (data) => {
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true }))
    client.postMessage({ rtRelay: 1, kind: 'message', channel: 'requests-seen', sender: 'worker', data });
  return data;
} });`;
      } else if (file.endsWith('.html')) {
        context.type = 'text/html';
        context.body =
          '<!doctype html><script type="module">import "/src/sw-relay-define.ts"; window.tabReady = true;</script>';
      } else {
        context.status = 404;
      }
    },
    executeCommand({ command, session }) {
      if (command !== 'sw-bump') return undefined;
      const engine = session.browser.name;
      versions.set(engine, (versions.get(engine) ?? 1) + 1);
      return { version: versions.get(engine) };
    },
  };
}

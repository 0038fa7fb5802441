// The raw baseline for <sw-relay>: a service worker that relays every message to every other
// window of the origin, nothing more.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((all) => {
      for (const client of all) if (client.id !== event.source.id) client.postMessage(event.data);
    }),
  );
});

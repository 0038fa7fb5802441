/// <reference lib="webworker" />
/**
 * The service-worker side of `<sw-relay>`: relays each page's posts to every other window
 * client of the origin (the pages filter by channel; a worker may be stopped when idle, so it
 * keeps no subscriptions of its own) and answers `request()`s over their MessageChannel.
 */

export interface RelayOptions {
  /**
   * Answers a page's `request(data)`; may be async. Default: `{ clients }`, the number of
   * window clients of the origin.
   */
  onRequest?: (data: unknown, context: { channel: string; clientId: string }) => unknown;
}

interface RelayEnvelope {
  rtRelay: 1;
  kind: 'post' | 'request' | 'skip-waiting';
  channel?: string;
  sender?: string;
  data?: unknown;
}

const isRelayEnvelope = (value: unknown): value is RelayEnvelope =>
  !!value && typeof value === 'object' && (value as RelayEnvelope).rtRelay === 1;

/** Installs the relay on a service worker global (`installRelay(self)`). Returns an uninstall function. */
export function installRelay(
  scope: ServiceWorkerGlobalScope,
  options: RelayOptions = {},
): () => void {
  const windowClients = () => scope.clients.matchAll({ type: 'window', includeUncontrolled: true });

  const onMessage = (event: ExtendableMessageEvent) => {
    const envelope = event.data;
    if (!isRelayEnvelope(envelope)) return;
    const source = event.source as Client | null;
    const clientId = source?.id ?? '';
    if (envelope.kind === 'skip-waiting') {
      event.waitUntil(scope.skipWaiting());
      return;
    }
    if (envelope.kind === 'post') {
      event.waitUntil(
        windowClients().then((clients) => {
          for (const client of clients) {
            // The sending tab delivers to its own elements itself.
            if (client.id === clientId) continue;
            client.postMessage({
              rtRelay: 1,
              kind: 'message',
              channel: envelope.channel,
              sender: envelope.sender,
              data: envelope.data,
            });
          }
        }),
      );
      return;
    }
    if (envelope.kind === 'request') {
      const port = event.ports[0];
      if (!port) return;
      const answer = async () => {
        try {
          const value = options.onRequest
            ? await options.onRequest(envelope.data, { channel: envelope.channel ?? '', clientId })
            : { clients: (await windowClients()).length };
          port.postMessage({ ok: true, value });
        } catch (error) {
          port.postMessage({ ok: false, message: String((error as Error)?.message ?? error) });
        }
      };
      event.waitUntil(answer());
    }
  };

  scope.addEventListener('message', onMessage);
  return () => scope.removeEventListener('message', onMessage);
}

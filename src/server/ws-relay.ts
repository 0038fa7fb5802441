import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { HubError, type HubCore } from './core.js';
import { originAllowed } from './http.js';
import { Subscriber } from './subscriber.js';

/**
 * Close codes. Clients should not retry the ones marked final.
 * - 1001 going away: the hub is shutting down or restarting (retry).
 * - 1009 too large: a frame above `maxPayload` (sent by `ws` itself).
 * - 4401 unauthorized: `authorize` refused the `auth` token (final).
 * - 4403 forbidden origin: the page's origin is not allowed (final).
 * - 4429 rate limited: more frames than `rateLimit` allows (retry after backoff).
 */
export const closeCodes = {
  goingAway: 1001,
  tooLarge: 1009,
  unauthorized: 4401,
  forbiddenOrigin: 4403,
  rateLimited: 4429,
} as const;

let connectionCount = 0;
/** Connection ids are unique across processes: an event's origin travels through Redis. */
const processId = Math.random().toString(36).slice(2, 10);

interface Frame {
  type?: unknown;
  [field: string]: unknown;
}

/** The WebSocket side of the hub: one small JSON protocol over `ws`, `noServer` upgrades. */
export class WebSocketRelay {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly alive = new WeakSet<WebSocket>();

  constructor(private readonly core: HubCore) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: core.options.maxPayload + 1024,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => {
      for (const socket of this.sockets) {
        if (!this.alive.has(socket)) {
          socket.terminate();
          continue;
        }
        this.alive.delete(socket);
        socket.ping();
      }
    }, core.options.heartbeatInterval);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.sockets.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(req, socket, head, (ws) => this.connect(ws, req));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const closed = [...this.sockets].map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.close(closeCodes.goingAway, 'hub shutting down');
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 1000).unref();
        }),
    );
    await Promise.all(closed);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(socket: WebSocket, req: IncomingMessage): void {
    if (!originAllowed(req, this.core.options.allowedOrigins)) {
      this.core.log.incident('refused origins', `refused WebSocket origin ${req.headers.origin}`);
      socket.close(closeCodes.forbiddenOrigin, 'origin not allowed');
      return;
    }
    if (this.core.closing) {
      socket.close(closeCodes.goingAway, 'hub shutting down');
      return;
    }
    const core = this.core;
    const id = `${processId}-${++connectionCount}`;
    const subscriptions = new Set<Subscriber>();
    let token: string | undefined;
    let queue = Promise.resolve();
    const burst = core.options.rateLimit * 2;
    let tokens = burst;
    let refilled = Date.now();

    this.sockets.add(socket);
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));

    const send = (frame: object) => {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify(frame));
      // A subscriber that cannot keep up is cut off; it replays from its last id on reconnect.
      if (socket.bufferedAmount > core.options.maxBufferedBytes) {
        core.log.incident('slow WebSocket consumers cut off', 'cut off a slow WebSocket consumer');
        socket.terminate();
      }
    };
    const sendError = (error: unknown, ref: unknown) => {
      const { code, message } =
        error instanceof HubError ? error : { code: 'internal', message: 'Internal error.' };
      send({ type: 'error', code, message, ...(ref !== undefined ? { ref } : {}) });
    };

    const unsubscribe = (topics: Iterable<string>) => {
      for (const topic of topics) {
        for (const subscription of subscriptions) {
          if (!subscription.topics.has(topic)) continue;
          core.detach(subscription);
          subscription.topics.delete(topic);
          if (subscription.topics.size) core.attach(subscription);
          else subscriptions.delete(subscription);
        }
      }
    };
    const subscribedTopics = () => new Set([...subscriptions].flatMap((s) => [...s.topics]));

    const handlers: Record<string, (frame: Frame) => Promise<void> | void> = {
      ping: () => send({ type: 'pong' }),
      auth: async (frame) => {
        token = typeof frame.token === 'string' ? frame.token : undefined;
        if (!(await core.authorize({ req, action: 'auth', token }))) {
          socket.close(closeCodes.unauthorized, 'unauthorized');
        }
      },
      subscribe: async (frame) => {
        const asked = Array.isArray(frame.topics) ? frame.topics : [frame.topic];
        const current = subscribedTopics();
        const fresh = asked.filter((topic) => !current.has(topic as string));
        if (current.size + new Set(fresh).size > core.options.maxTopicsPerConnection) {
          throw new HubError(
            'too-many-topics',
            `At most ${core.options.maxTopicsPerConnection} topics per connection.`,
            400,
          );
        }
        const topics = await core.checkSubscribe(req, asked, token);
        unsubscribe(topics);
        const subscription = new Subscriber(
          topics,
          (event) => send({ type: 'message', topic: event.topic, id: event.id, data: event.data }),
          id,
        );
        // Before any later message: of the cursor, or of a store that lost its data (new epoch).
        subscription.onReset = (reset) =>
          send({ type: 'reset', topics, reason: reset.reason, id: reset.latest });
        subscriptions.add(subscription);
        core.attach(subscription);
        const since = typeof frame.since === 'string' && frame.since ? frame.since : undefined;
        const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
        // A fresh subscription learns its starting cursor, so a drop before its first message
        // loses nothing; a resumed one already has its cursor.
        if (since) send({ type: 'subscribed', topics, ...ref });
        await subscription.start(core.store, since, (latest) =>
          send({ type: 'subscribed', topics, id: latest, ...ref }),
        );
      },
      unsubscribe: (frame) => {
        const topics = Array.isArray(frame.topics) ? frame.topics : [frame.topic];
        unsubscribe(topics.filter((topic): topic is string => typeof topic === 'string'));
        send({ type: 'unsubscribed', topics });
      },
      publish: async (frame) => {
        const event = await core.publish(frame.topic, frame.data, {
          req,
          token,
          origin: frame.echo === true ? undefined : id,
        });
        if (frame.ref !== undefined) send({ type: 'ack', ref: frame.ref, id: event.id });
      },
    };

    socket.on('message', (raw, isBinary) => {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - refilled) / 1000) * core.options.rateLimit);
      refilled = now;
      if (--tokens < 0) {
        core.log.incident('rate-limited WebSockets', `closed a WebSocket over rateLimit (4429)`);
        socket.close(closeCodes.rateLimited, 'rate limited');
        return;
      }
      let frame: Frame | undefined;
      try {
        frame = isBinary ? undefined : (JSON.parse(raw.toString()) as Frame);
      } catch {
        frame = undefined;
      }
      const handler =
        frame && typeof frame === 'object' && typeof frame.type === 'string'
          ? handlers[frame.type]
          : undefined;
      if (!frame || !handler) {
        send({
          type: 'error',
          code: 'bad-frame',
          message: 'Expected a JSON frame with a known type.',
        });
        return;
      }
      // Frames are handled in order: an `auth` frame is settled before the subscribe after it.
      const current = frame;
      queue = queue.then(async () => {
        try {
          await handler(current);
        } catch (error) {
          sendError(error, current.ref);
        }
      });
    });

    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const subscription of subscriptions) core.detach(subscription);
      subscriptions.clear();
    });
    socket.on('error', () => socket.terminate());
  }
}

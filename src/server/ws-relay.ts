import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  closeCodes,
  expiringLead,
  frameOverhead,
  messageIdPattern,
  protocolVersion,
  publisherPattern,
  type ClientFrameType,
  type HelloFrame,
  type HubLimits,
} from '../internal/protocol.js';
import { expired, expiryTimer, HubError, mergeGrants, parseRewind, type HubCore } from './core.js';
import type { AuthGrant, HubConnection } from './types.js';
import { originAllowed } from './http.js';
import { Subscriber } from './subscriber.js';
import type { Compression } from './compression.js';
import { ConnectionPresence } from './presence-connection.js';

export { closeCodes };

interface Frame {
  type: string;
  [field: string]: unknown;
}

type Handler = (frame: Frame) => Promise<void> | void;

/** A new publisher id: 144 random bits, base64url. */
const newPublisher = (): string => randomBytes(18).toString('base64url');

/**
 * The WebSocket side of the hub: one small JSON protocol over `ws`, `noServer` upgrades. Its
 * frames, close codes and limits are defined in `src/internal/protocol.ts`, shared with
 * `<socket-relay>`.
 */
export class WebSocketRelay {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly alive = new WeakSet<WebSocket>();
  readonly limits: HubLimits;

  constructor(
    private readonly core: HubCore,
    private readonly compression?: Compression,
  ) {
    const { options } = core;
    this.limits = {
      maxPayload: options.maxPayload,
      rate: options.rateLimit,
      burst: options.rateLimit * 2,
      heartbeat: options.heartbeatInterval,
      dedupWindow: options.dedupWindow,
      dedupAge: options.dedupAge,
    };
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload + frameOverhead,
      clientTracking: false,
      perMessageDeflate: this.compression?.perMessageDeflate ?? false,
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
    }, options.heartbeatInterval);
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
    // `ws` answers protocol errors (a frame over `maxPayload`: 1009) with its own close frame;
    // terminating here would cut that frame off and the client would see 1006 instead.
    socket.on('error', () => {});
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
    const limits = this.limits;
    const compressFrom = this.compression?.websocket ? this.compression.threshold : Infinity;
    let publisher = newPublisher();
    const subscriptions = new Set<Subscriber>();
    let token: string | undefined;
    let queue = Promise.resolve();
    let tokens = limits.burst;
    let refilled = Date.now();
    // Set when the socket closes or is being closed: work still queued or awaiting stops there,
    // so nothing is attached to a socket that is gone (no ghost subscription).
    let ended = false;

    const connection: HubConnection = { transport: 'ws', req };
    const presence = new ConnectionPresence(core.presence, connection, (message) =>
      send({ type: 'presence', ...message }),
    );
    let expiry: (ReturnType<typeof setTimeout> | undefined)[] = [];
    let announced: number | undefined;
    // Cleanup first: a client can leave while any handler below is awaiting.
    socket.on('close', () => {
      ended = true;
      untrack();
      for (const timer of expiry) clearTimeout(timer);
      this.sockets.delete(socket);
      for (const subscription of subscriptions) core.detach(subscription);
      subscriptions.clear();
      presence.close();
    });
    this.sockets.add(socket);
    this.alive.add(socket);
    socket.on('pong', () => this.alive.add(socket));

    const send = (frame: object) => {
      if (ended || socket.readyState !== socket.OPEN) return;
      const text = JSON.stringify(frame);
      // What was queued before this frame: one frame larger than the bound (a presence
      // snapshot of many members) is not, by itself, a slow consumer.
      const backlog = socket.bufferedAmount;
      // ws applies its own threshold only without context takeover: the hub's applies always.
      socket.send(text, { compress: text.length >= compressFrom });
      // A subscriber that cannot keep up is cut off; it replays from its last id on reconnect.
      if (backlog > core.options.maxBufferedBytes) {
        core.metrics?.slowConsumer('ws');
        core.log.incident('slow WebSocket consumers cut off', 'cut off a slow WebSocket consumer');
        socket.terminate();
      }
    };
    const end = (code: number, reason: string) => {
      ended = true;
      socket.close(code, reason);
    };
    const untrack = core.track(
      connection,
      (reason) =>
        // Moved (draining, maxConnectionAge): 1001, after which clients resume at once elsewhere.
        reason === 'drain'
          ? end(closeCodes.goingAway, 'going away')
          : end(closeCodes.unauthorized, 'disconnected'),
      // `hub.unsubscribe`: an `unsubscribed` frame the client did not ask for; the socket stays.
      (drop) => {
        const held = subscribedTopics();
        const gone = [...drop].filter((topic) => held.has(topic));
        if (!gone.length) return false;
        unsubscribe(gone);
        // Not a member of those topics any more, nor told of their presence.
        presence.leave(gone);
        send({ type: 'unsubscribed', topics: gone });
        return true;
      },
    );
    /**
     * Takes a grant's expiry (`fresh`: a new `auth` frame's, replacing the old; else the earliest
     * stays): `expiring` a little before (once per expiry), then 4440 unless an `auth` frame
     * moved it.
     */
    const expireAt = (grant: AuthGrant, fresh: boolean) => {
      const merged = mergeGrants(grant, fresh ? {} : connection);
      Object.assign(connection, merged);
      for (const timer of expiry) clearTimeout(timer);
      const { expiresAt } = merged;
      if (expiresAt === undefined) return (expiry = []);
      const lead = Math.min(expiringLead, (expiresAt - Date.now()) / 2);
      expiry = [
        expiryTimer(expiresAt - lead, () => {
          if (announced === expiresAt) return;
          announced = expiresAt;
          send({ type: 'expiring', expiresAt });
        }),
        expiryTimer(expiresAt, () => end(closeCodes.expired, 'credentials expired')),
      ];
    };
    const sendError = (error: unknown, ref: unknown) => {
      const { code, message } =
        error instanceof HubError ? error : { code: 'internal', message: 'Internal error.' };
      send({ type: 'error', code, message, ...(ref !== undefined ? { ref } : {}) });
      // The store is away: the client retries later and re-sends what was not acknowledged.
      if (code === 'unavailable') end(closeCodes.tryAgainLater, 'store unavailable');
    };
    const hello: HelloFrame = { type: 'hello', version: protocolVersion, publisher, limits };
    send(hello);

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

    /** A second `auth` frame: every held topic is checked again with the new token. */
    const recheck = async () => {
      const refused: string[] = [];
      for (const topic of subscribedTopics()) {
        const grant = await core.authorize({ req, action: 'subscribe', topic, token });
        if (ended) return;
        if (!grant || expired(grant)) refused.push(topic);
        else expireAt(grant, false);
      }
      if (!refused.length) return;
      unsubscribe(refused);
      presence.leave(refused);
      send({ type: 'unsubscribed', topics: refused });
      send({
        type: 'error',
        code: 'forbidden',
        message: `Not allowed to subscribe to ${refused.join(', ')} any more.`,
        topics: refused,
      });
    };

    const handlers = new Map<ClientFrameType, Handler>([
      ['ping', () => send({ type: 'pong' })],
      [
        'hello',
        (frame) => {
          // A reconnecting client takes its publisher id back: its sends keep their identity.
          if (typeof frame.publisher !== 'string' || !publisherPattern.test(frame.publisher)) {
            throw new HubError('bad-frame', 'A hello frame carries a publisher id.', 400);
          }
          publisher = frame.publisher;
          for (const subscription of subscriptions) subscription.skipOrigin = publisher;
        },
      ],
      [
        'auth',
        async (frame) => {
          token = typeof frame.token === 'string' ? frame.token : undefined;
          const grant = await core.authorize({ req, action: 'auth', token });
          if (ended) return;
          if (!grant || expired(grant)) return end(closeCodes.unauthorized, 'unauthorized');
          connection.token = token;
          expireAt(grant, true);
          await presence.regrant();
          if (!ended && subscriptions.size) await recheck();
        },
      ],
      [
        'subscribe',
        async (frame) => {
          // `rewind`: the last N events first, only without a cursor (checked before anything is held).
          const since = typeof frame.since === 'string' && frame.since ? frame.since : undefined;
          const rewind = frame.rewind === undefined || since ? 0 : rewindOf(frame.rewind);
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
          const { topics, grant } = await core.checkSubscribe(req, asked, token);
          if (ended) return;
          expireAt(grant, false);
          await presence.enter(topics);
          if (ended) return;
          unsubscribe(topics);
          const subscription = new Subscriber(
            topics,
            (event) => {
              if (!ended && socket.readyState === socket.OPEN) core.metrics?.delivered('ws');
              send({ type: 'message', topic: event.topic, id: event.id, data: event.data });
            },
            publisher,
          );
          // Before any later message: of the cursor, or of a store that lost its data (new epoch).
          // `topics`: those that missed events (all of them but for a `too-old` of some).
          subscription.onReset = (reset) => {
            core.metrics?.reset(reset.reason);
            send({
              type: 'reset',
              topics: reset.topics ?? topics,
              reason: reset.reason,
              id: reset.latest,
            });
          };
          subscriptions.add(subscription);
          core.attach(subscription);
          const ref = frame.ref !== undefined ? { ref: frame.ref } : {};
          // A fresh subscription learns its starting cursor, so a drop before its first message
          // loses nothing; a resumed one already has its cursor.
          if (since) send({ type: 'subscribed', topics, ...ref });
          try {
            await subscription.start(
              core.store,
              since,
              (latest) => send({ type: 'subscribed', topics, id: latest, ...ref }),
              { rewind, max: core.options.maxReplay },
            );
            // The topics left: `hub.unsubscribe` may have dropped some while it started.
            presence.watch(topics.filter((topic) => subscription.topics.has(topic)));
          } catch (error) {
            // Without its replay the subscription would have a gap: drop it, the client retries.
            core.detach(subscription);
            subscriptions.delete(subscription);
            presence.leave(topics);
            throw new HubError(
              'unavailable',
              `The store could not replay: ${(error as Error).message}`,
              503,
            );
          }
        },
      ],
      [
        'unsubscribe',
        (frame) => {
          const topics = Array.isArray(frame.topics) ? frame.topics : [frame.topic];
          const named = topics.filter((topic): topic is string => typeof topic === 'string');
          unsubscribe(named);
          presence.leave(named);
          send({ type: 'unsubscribed', topics });
        },
      ],
      [
        'publish',
        async (frame) => {
          const { msg } = frame;
          if (
            msg !== undefined &&
            !(
              (typeof msg === 'string' || typeof msg === 'number') &&
              messageIdPattern.test(String(msg))
            )
          ) {
            throw new HubError(
              'bad-frame',
              'A message id is 1–64 printable ASCII characters.',
              400,
            );
          }
          const event = await core.publish(frame.topic, frame.data, {
            req,
            token,
            origin: frame.echo === true ? undefined : publisher,
            via: 'ws',
            ...(frame.msg !== undefined ? { dedup: { publisher, msg: String(frame.msg) } } : {}),
          });
          if (frame.ref !== undefined) {
            send({
              type: 'ack',
              ref: frame.ref,
              id: event.id,
              ...(event.duplicate ? { duplicate: true } : {}),
            });
          }
        },
      ],
    ]);

    socket.on('message', (raw, isBinary) => {
      if (ended) return;
      const now = Date.now();
      tokens = Math.min(limits.burst, tokens + ((now - refilled) / 1000) * limits.rate);
      refilled = now;
      if (--tokens < 0) {
        core.metrics?.rateLimited('ws');
        core.log.incident('rate-limited WebSockets', 'closed a WebSocket over rateLimit (4429)');
        return end(closeCodes.rateLimited, 'rate limited');
      }
      let frame: unknown;
      try {
        frame = isBinary ? undefined : JSON.parse(raw.toString());
      } catch {
        frame = undefined;
      }
      // Frame types come from the wire: looked up in a Map, never on an object's prototype chain.
      const type =
        frame && typeof frame === 'object' && !Array.isArray(frame)
          ? (frame as { type?: unknown }).type
          : undefined;
      const handler = typeof type === 'string' ? handlers.get(type as ClientFrameType) : undefined;
      if (!handler) {
        send({
          type: 'error',
          code: 'bad-frame',
          message: 'Expected a JSON frame with a known type.',
        });
        return;
      }
      // Frames are handled in order: an `auth` frame is settled before the subscribe after it.
      const current = frame as Frame;
      queue = queue.then(async () => {
        if (ended) return;
        try {
          await handler(current);
        } catch (error) {
          sendError(error, current.ref);
        }
      });
    });
  }
}

/** A frame's `rewind`: a bad one makes the frame a `bad-frame` (HTTP answers `400 bad-rewind`). */
function rewindOf(value: unknown): number {
  try {
    return parseRewind(value);
  } catch (error) {
    throw new HubError('bad-frame', (error as Error).message, 400);
  }
}

/**
 * `shared` on `<sse-feed>`, `<socket-relay>` and `<poll-feed>`: the tabs of an origin that show
 * the same feed hold one connection. The elected leader's element connects as usual; every
 * event it fires is also posted to the group and fired again, with the same shape and in the
 * same order, by the followers' elements. Followers track the cursor, so whichever tab leads
 * next resumes exactly where the last delivered event left off.
 *
 * `<socket-relay>` sends from any tab go through the leader: each waits in its tab's outbox
 * until the hub acknowledges it, and is sent again to the next leader if the leader changes
 * first. Exactly once all the same: every leader presents the group's one publisher id (learnt
 * from the leader's heartbeats) and each send keeps its tab's own message id, so the hub
 * drops a repeat and acknowledges it with the original event's id. Hub sends are
 * published with `echo`, and each tab drops the echo of its own sends (unless `echo`): while a
 * tab has unacknowledged sends its deliveries wait, so the acknowledgement that names the
 * echo arrives first.
 *
 * A new leader's connection resumes from its own cursor, which may be behind a follower's (the
 * old leader's last events were still on their way to it when it took over): each follower
 * drops, in order, what the new leader repeats of what it already delivered (its first
 * heartbeat names the cursor it resumed from).
 */
import { LeaderElection, type GroupMessage } from './leader-election.js';
import { ReplayFilter } from '../internal/replay-filter.js';
import {
  RealtimeCloseEvent,
  RealtimeErrorEvent,
  RealtimeMessageEvent,
  ResetEvent,
} from '../internal/events.js';

/** `<socket-relay>`: a send as built at the call (a raw frame, or hub mode's frame and JSON). */
export interface BuiltSend {
  frame: unknown;
  json?: string;
}

/** What the shared machinery uses of an element (protected members, reached on purpose). */
export interface SharedHost extends HTMLElement {
  readonly state: string;
  /** The last `error` event, kept until the element opens again. */
  readonly error: RealtimeErrorEvent | null;
  cursor: string;
  echo?: boolean;
  queueLimit?: number;
  src: string;
  setState(state: string): void;
  emit(event: Event): boolean;
  connect(): void;
  release(): void;
  /** `<sse-feed>` native mode's memory of the stream: what its `EventSource`s replay is dropped. */
  native?: { replays?: ReplayFilter };
  /** `<socket-relay>`: raw mode and its `type`. */
  raw?: boolean;
  type?: string;
  /** `<socket-relay>`: the hub's publisher id, shared by the group so every leader sends as one. */
  publisher?: string;
  /** `<socket-relay>`: the sends accepted before the group was joined. */
  early: [BuiltSend, object][];
  sendFor?(
    data: unknown,
    options: object,
    acked: (id?: string, error?: string) => void,
    msg?: string,
  ): boolean;
}

/** An event as data, for the BroadcastChannel. */
type EventRecord = { t: string; [field: string]: unknown };

/** The options that make two elements "the same feed". */
const identity = [
  'mode',
  'events',
  'type',
  'withCredentials',
  'method',
  'topic',
  'raw',
  'protocols',
  'interval',
  'long',
];

function toRecord(event: Event): EventRecord {
  const record: EventRecord = { t: event.type };
  for (const key of Object.keys(event)) {
    // `cause` may be an Error or anything else that cannot be cloned.
    if (key !== 'isTrusted' && key !== 'cause') record[key] = (event as never)[key];
  }
  if (event instanceof MessageEvent) {
    Object.assign(record, {
      data: event.data,
      origin: event.origin,
      lastEventId: event.lastEventId,
    });
  }
  return record;
}

function toEvent({ t, ...fields }: EventRecord): Event {
  const f = fields as Record<string, never>;
  switch (t) {
    case 'message':
      return new RealtimeMessageEvent(fields);
    case 'error': {
      const { code, message, ...init } = f;
      return new RealtimeErrorEvent(code, message, init);
    }
    case 'close':
      return new RealtimeCloseEvent(f.willReconnect, f.code, f.reason, f.wasClean);
    case 'reset':
      return new ResetEvent(f.reason, f.lastEventId);
    default:
      return new Event(t);
  }
}

/**
 * Joins `host`'s group of sharing tabs (the constructor sends through it what the element
 * accepted meanwhile). Without BroadcastChannel the element halts: `unsupported`. Here rather
 * than in the element: the core bundle pays only for the `import()`.
 */
export function share(
  host: SharedHost & {
    sharing?: SharedFeed;
    halt(code: string, message: string, init: { cause: unknown }): void;
  },
): void {
  try {
    host.sharing = new SharedFeed(host);
  } catch (cause) {
    host.halt('unsupported', 'Shared mode needs BroadcastChannel.', { cause });
  }
}

export class SharedFeed {
  /** Set while the element tears its own connection down after losing the lead. */
  dropping = false;
  private replaying = false;
  private readonly election: LeaderElection;
  /** This tab's sends not yet acknowledged by the hub, by id. */
  private readonly outbox = new Map<string, [data: unknown, options: object]>();
  /** Hub ids of this tab's own sends whose echo has not come yet. */
  private readonly own = new Set<string>();
  private held: EventRecord[] = [];
  private sent = 0;
  /** The ids of the messages fired here, to recognise a new leader's repeats. */
  private readonly replays = new ReplayFilter();
  /** The leader whose stream the follower takes (set by its first heartbeat heard). */
  private stream = '';

  constructor(private readonly host: SharedHost) {
    const values = identity.map((key) => (host as unknown as Record<string, unknown>)[key]);
    const group = `${host.localName}:${new URL(host.src, document.baseURI).href}:${JSON.stringify(values)}`;
    this.election = new LeaderElection(
      group,
      {
        lead: () => this.lead(),
        follow: () => this.follow(),
        leaderChanged: (id) => this.leaderChanged(id),
        message: (message) => this.heard(message),
        heartbeat: () => [
          host.state,
          host.cursor,
          host.publisher,
          host.error && [host.error.code, host.error.message],
        ],
      },
      { preferVisible: host.hasAttribute('prefer-visible') },
    );
    // What the element accepted while this chunk loaded, in order.
    for (const [data, options] of host.early.splice(0)) this.send(data, options);
  }

  get leading(): boolean {
    return this.election.leading;
  }

  /** Leaves the group (the element was removed, closed or re-opened). */
  leave(): void {
    this.election.stop();
  }

  /**
   * Called for every event the element fires: the leader's are posted to the group; a
   * follower fires only what the leader sent. Returns whether to fire it here now.
   */
  pass(event: Event): boolean {
    if (this.replaying) return true;
    if (this.dropping || !this.election.valid()) return false;
    const record = toRecord(event);
    this.election.post('ev', record);
    const fire = this.admit(record);
    if (fire) this.fired(record);
    return fire;
  }

  private fired(record: EventRecord): void {
    if (record.t !== 'message') return;
    const id = (record.lastEventId as string) ?? '';
    this.replays.delivered(id);
    // Fired here from the leader's stream: should this tab lead in native mode, its new
    // EventSource (which cannot send Last-Event-ID) drops what a server replays of these too.
    if (!this.leading && this.host.native)
      (this.host.native.replays ??= new ReplayFilter()).delivered(id);
  }

  /**
   * `<socket-relay>`'s `send()` in shared mode: through the leader, kept until acknowledged.
   * `pending` is the send as the tab built it at the call (its JSON, or a copy of its bytes):
   * what is sent is the data as it was then, whatever the caller changes while it waits.
   */
  send(pending: BuiltSend, options: object): boolean {
    const host = this.host;
    const data =
      host.raw && host.type != 'json'
        ? pending.frame
        : JSON.parse(pending.json ?? (pending.frame as string));
    const limit = this.host.queueLimit ?? 1000;
    if (this.outbox.size >= limit) {
      this.failHere('queue-full', `${limit} sends are already waiting; this one was not queued.`);
      return false;
    }
    const id = `${this.election.id}:${++this.sent}`;
    this.outbox.set(id, [data, options]);
    this.forward(id);
    return true;
  }

  private forward(id: string): void {
    const [data, options] = this.outbox.get(id)!;
    if (this.leading) this.execute(this.election.id, id, data, options);
    else if (this.election.leaderId) this.election.post('send', [id, data, options]);
  }

  /** The leader sends for a tab (itself included) and tells it when the hub acknowledged. */
  private execute(from: string, id: string, data: unknown, options: object): void {
    const acked = (hubId?: string, error?: string) => {
      if (from === this.election.id) this.acked(id, hubId, error);
      else this.election.post('ack', [from, id, hubId, error]);
    };
    try {
      if (!this.host.sendFor!(data, options, acked, id)) acked(undefined, 'queue-full');
    } catch (error) {
      acked(undefined, (error as Error).message);
    }
  }

  private acked(id: string, hubId?: string, error?: string): void {
    if (!this.outbox.delete(id)) return;
    if (hubId) this.own.add(hubId);
    if (error) this.failHere('send-failed', `The leading tab could not send: ${error}`);
    if (this.outbox.size) return;
    const held = this.held;
    this.held = [];
    for (const record of held) if (this.admit(record)) this.replay(record);
  }

  /** Whether a record is fired now: not the echo of this tab's own send, and not held. */
  private admit(record: EventRecord): boolean {
    if (this.outbox.size) {
      this.held.push(record);
      return false;
    }
    return !(this.own.delete(record.id as string) && !this.host.echo);
  }

  /** An error of this tab's own (a follower's element fires nothing else of its own). */
  private failHere(code: string, message: string): void {
    this.replay({ t: 'error', code, message });
  }

  private replay(record: EventRecord): void {
    this.replaying = true;
    try {
      if (record.lastEventId) this.host.cursor = record.lastEventId as string;
      if (record.t === 'statechange') this.host.setState(record.state as string);
      else this.host.emit(toEvent(record));
      this.fired(record);
    } finally {
      this.replaying = false;
    }
  }

  private lead(): void {
    this.stream = '';
    this.host.toggleAttribute('leader', true);
    this.interrupted();
    this.host.connect();
    for (const id of this.outbox.keys()) this.forward(id);
  }

  /** Lost the lead (left, stolen, or fenced after a hang): drop the connection silently. */
  private follow(): void {
    this.host.toggleAttribute('leader', false);
    this.dropping = true;
    try {
      this.host.release();
    } finally {
      this.dropping = false;
    }
  }

  private leaderChanged(leaderId: string): void {
    if (leaderId === this.election.id) return;
    // Whether the leader left, crashed or was replaced, its connection is gone.
    this.interrupted();
    if (leaderId) for (const id of this.outbox.keys()) this.forward(id);
  }

  /** The connection went with its leader: what an unshared element shows for a drop. */
  private interrupted(): void {
    if (this.host.state !== 'open') return;
    this.replay({ t: 'close', willReconnect: true, code: 0, reason: '', wasClean: false });
    this.replay({ t: 'statechange', state: 'connecting' });
  }

  private heard({ k: kind, f: from, p: payload }: GroupMessage): void {
    if (kind === 'send' && this.leading) {
      const [id, data, options] = payload as [string, unknown, object];
      return this.execute(from, id, data, options);
    }
    if (kind === 'ack') {
      const [to, id, hubId, error] = payload as [string, string, string?, string?];
      if (to === this.election.id) this.acked(id, hubId, error);
      return;
    }
    if (this.leading || from !== this.election.leaderId) return;
    if (kind === 'ev') {
      const record = payload as EventRecord;
      if (record.t === 'message' && this.replays.isReplay((record.lastEventId as string) ?? ''))
        return;
      // A tab that joined between two beats learns from the first message that the feed is open.
      if (record.t === 'message') this.sync('open');
      if (this.admit(record)) this.replay(record);
    } else if (kind === 'hb') {
      // A tab that joins late learns the leader's state and cursor from its next beat.
      const [state, cursor, publisher, error] = payload as [
        string,
        string,
        string?,
        [string, string]?,
      ];
      // The first beat of a new leader: its connection resumed from this cursor.
      if (from !== this.stream) this.replays.resumeAfter(cursor ?? '');
      this.stream = from;
      if (cursor) this.host.cursor = cursor;
      if (publisher) this.host.publisher = publisher;
      this.sync(state, error);
    }
  }

  private sync(state: string, error?: [code: string, message: string]): void {
    if (state === this.host.state || this.outbox.size) return;
    // A tab that joins after the leader failed learns why, not only that: its `error` event
    // and property say what the leader's do (README, Troubleshooting).
    if (state === 'error' && error) this.replay({ t: 'error', code: error[0], message: error[1] });
    this.replay({ t: 'statechange', state });
    if (state === 'open') this.replay({ t: 'open' });
  }
}

import {
  FallbackChannel,
  channelKey,
  channelName,
  deliverHere,
  membersOfKind,
  type FallbackChannelOptions,
} from './fallback-channel.js';
import { deliver } from './delivery-queue.js';
import { SequenceTracker } from './sequence-tracker.js';
import { toJson } from './json-message.js';
import { CookieMailbox, PROBE, escapeCookie } from './cookie-mailbox.js';
import { randomId } from '../internal/random-id.js';

const PREFIX = 'tab-channel.';
const POLL_INTERVAL = 100;

/** A message as it stands in a cookie: [number on its channel, Lamport clock, channel name, data]. */
type Stored = [number, number, string, unknown];

/** This global's cookies, one per domain: all its channels write through them, in posting order. */
const mailboxes = new Map<string, CookieMailbox>();
const tracker = new SequenceTracker();
/**
 * A Lamport clock (Lamport 1978): above every message read and every message posted here, so
 * a reply sorts after what it answers wherever the two are read in one poll.
 */
let clock = 0;
let open = 0;
let jar = '';
let timer: ReturnType<typeof setInterval> | undefined;

/** Every cookie this global wrote, also those retired and still expiring. */
const own = new Set<string>();
/**
 * Unreadable `tab-channel.*` cookies (another library's, a truncated write) by name, with the
 * value last seen: each is reported once when it appears or changes, not on every later scan.
 */
const unreadable = new Map<string, string>();

/**
 * Reads every other global's cookie and delivers what is new, sorted by Lamport clock, to the
 * channels here; `deliver` false marks what is there as sent before anyone here listened.
 */
function scan(deliver: boolean): void {
  const current = document.cookie;
  if (current === jar) return;
  jar = current;
  const fresh: { clock: number; sender: string; channel: string; data: unknown; origin: string }[] =
    [];
  const present = new Set<string>();
  for (const cookie of current.split('; ')) {
    if (!cookie.startsWith(PREFIX)) continue;
    const eq = cookie.indexOf('=');
    const sender = cookie.slice(0, eq);
    // A mailbox another tab is opening, still checking that cookies work: not a message.
    if (own.has(sender) || eq === cookie.length - 1 || cookie.slice(eq + 1) === PROBE) continue;
    let box: { o: string; m: Stored[] };
    try {
      box = JSON.parse(decodeURIComponent(cookie.slice(eq + 1))) as { o: string; m: Stored[] };
      if (!Array.isArray(box.m)) throw new TypeError('no messages');
    } catch {
      const value = cookie.slice(eq + 1);
      present.add(sender);
      // What stood there before a channel here listened was not sent to it.
      if (deliver && unreadable.get(sender) !== value) {
        for (const channel of membersOfKind('cookie')) channel.dispatchUnreadable('');
      }
      unreadable.set(sender, value);
      continue;
    }
    // Messages are numbered per channel name, so a gap is told to that channel's listeners
    // only (when the next message of that channel is read).
    for (const [seq, at, channel, data] of box.m) {
      const key = `${sender}\n${channel}`;
      const missed = tracker.known(key) ? seq - tracker.seen(key) - 1 : 0;
      if (!tracker.fresh(key, seq) || !deliver) continue;
      if (missed > 0) {
        for (const member of membersOfKind('cookie')) {
          if (member.name === channel) {
            member.report(
              'message-lost',
              `${missed} message(s) from another tab left its cookie before this tab read them (background tabs poll less often).`,
            );
          }
        }
      }
      fresh.push({ clock: at, sender, channel, data, origin: box.o });
    }
  }
  for (const sender of unreadable.keys()) if (!present.has(sender)) unreadable.delete(sender);
  fresh.sort((a, b) => a.clock - b.clock || (a.sender < b.sender ? -1 : 1));
  for (const message of fresh) {
    clock = Math.max(clock, message.clock);
    deliverHere(
      channelKey('cookie', message.channel),
      () => structuredClone(message.data),
      message.origin,
      // Cookies ignore the port and, without Secure, the scheme (RFC 6265 § 8.5): without a
      // domain only this origin counts, as with BroadcastChannel; with one, siblings on purpose.
      (channel) => !!(channel as CookieChannel).domain || message.origin === channel.origin(),
    );
  }
}

function tick(): void {
  if (open) scan(true);
  for (const [domain, mailbox] of mailboxes) {
    mailbox.flush();
    if (!mailbox.users && !mailbox.busy) {
      mailbox.retire();
      mailboxes.delete(domain);
    }
  }
  if (!open && !mailboxes.size) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Messages through cookies, polled every 100 ms: the one transport that spans sibling
 * subdomains (`domain: 'example.com'` reaches `a.example.com` and `b.example.com` — on purpose).
 * Each global writes one cookie per domain (`tab-channel.<id>`) holding its recent messages in
 * posting order; readers sort what one poll finds by Lamport clock, so replies never overtake
 * what they answer. A new message pushes out ones older than 1.5 s when the cookie is full, and
 * waits (in order) while every message in it is younger. Cookies ride on every HTTP request to
 * the domain, so keep messages small; a cookie expires 60 s after its last write (2 s after its
 * last channel closed). Data travels as JSON: a message must round-trip through JSON unchanged
 * (else `DataCloneError`).
 */
export class CookieChannel extends FallbackChannel {
  private readonly mailbox: CookieMailbox;
  /** @internal The parent domain this channel spans, or '' for this origin only. */
  readonly domain: string;

  constructor(name: string, options: FallbackChannelOptions = {}) {
    super(channelName(arguments.length, name), 'cookie');
    if (typeof document === 'undefined' || !navigator.cookieEnabled) {
      throw new DOMException('Cookies are not available here.', 'NotSupportedError');
    }
    const domain = options.domain?.replace(/^\./, '') ?? '';
    if (domain && !`.${location.hostname}`.endsWith(`.${domain}`)) {
      throw new DOMException(
        `"${domain}" is not ${location.hostname} or a parent domain of it.`,
        'SyntaxError',
      );
    }
    this.domain = domain;
    this.mailbox =
      mailboxes.get(domain) ?? new CookieMailbox(PREFIX + randomId(), domain, this.origin());
    own.add(this.mailbox.cookieName);
    mailboxes.set(domain, this.mailbox);
    this.mailbox.users++;
    // What others wrote so far goes to the channels already here, not to this one.
    scan(open++ > 0);
    timer ??= setInterval(tick, POLL_INTERVAL);
    this.join();
  }

  protected write(message: unknown): () => unknown {
    const text = toJson(message);
    const mailbox = this.mailbox;
    const escaped = (seq: number, at: number) =>
      escapeCookie(`[${seq},${at},${JSON.stringify(this.name)},${text}]`);
    const seq = (mailbox.seqs.get(this.name) ?? 0) + 1;
    // The clock only grows, so a message stamped one higher is the largest it can get.
    mailbox.check(escaped(seq, clock + 1).length);
    mailbox.seqs.set(this.name, seq);
    mailbox.add(escaped(seq, ++clock));
    return () => JSON.parse(text) as unknown;
  }

  /** Reads the cookies now (not on the next tick); resolves once what was new is delivered. */
  override caughtUp(): Promise<void> {
    if (open && !this.closed) scan(true);
    return new Promise((resolve) => deliver(resolve));
  }

  /** Messages still waiting for room are written by the timer before it stops. */
  protected shutdown(): void {
    open--;
    this.mailbox.users--;
  }
}

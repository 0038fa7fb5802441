import {
  FallbackChannel,
  SequenceTracker,
  toJson,
  type FallbackChannelOptions,
} from './fallback-channel.js';

const PREFIX = 'tab-channel.';
/** Name plus value of one cookie; browsers refuse more than 4096 bytes. */
const CAPACITY = 3800;
/** A message stays in its writer's cookie at least this long, in ms, before newer ones push it out. */
const HOLD = 1500;
/** The cookie expires this long after the last write, in s, so a closed or crashed tab leaves nothing. */
const MAX_AGE = 10;
const POLL_INTERVAL = 100;
const OUTBOX_LIMIT = 1000;

interface CookieWindow {
  /** channel name */
  c: string;
  /** writer origin */
  o: string;
  /** [sequence number, data] of the writer's recent messages, oldest first */
  m: [number, unknown][];
}

/**
 * RFC 6265 § 4.1.1 cookie-octets exclude controls, whitespace, `"`, `,`, `;` and `\`:
 * those (and `%`, and anything beyond ASCII) are percent-encoded, the rest stays as it is so a
 * message costs few bytes.
 */
/** Between two messages, and after the last one, as they stand in the cookie. */
const SEPARATOR = '%2C';
const END = ']}';

const escapeCookie = (text: string) =>
  text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\0-\x20"%,;\\\x7f-\uffff]/g, encodeURIComponent);

/**
 * Messages through cookies, polled every 100 ms: the one transport that spans sibling
 * subdomains (`domain: 'example.com'` reaches `a.example.com` and `b.example.com`).
 * Each writer owns a cookie (`tab-channel.<writer id>`) holding its recent messages; a new
 * message pushes out ones older than 1.5 s when the cookie is full, and waits (in order) while
 * every message in it is younger. Cookies ride on every HTTP request to the domain, so keep
 * messages small; each expires 10 s after its last write.
 */
export class CookieChannel extends FallbackChannel {
  private seq = 0;
  /** The messages in the cookie, escaped as they stand there, with when each went in. */
  private held: { time: number; text: string }[] = [];
  /** Their length joined by separators: the cookie's size is known without rebuilding it. */
  private heldSize = 0;
  /** Escaped messages waiting for room. */
  private outbox: string[] = [];
  private readonly tracker = new SequenceTracker();
  private readonly cookieName = PREFIX + this.sender;
  private readonly attributes: string;
  /** The escaped start of the cookie value, up to the message list. */
  private readonly header: string;
  /** How many bytes the messages may take in one cookie. */
  private readonly room: number;
  private jar = '';
  private timer: ReturnType<typeof setInterval>;

  constructor(name: string, options: FallbackChannelOptions = {}) {
    super(name, 'cookie');
    if (typeof document === 'undefined' || !navigator.cookieEnabled) {
      throw new DOMException('Cookies are not available here.', 'NotSupportedError');
    }
    const domain = options.domain?.replace(/^\./, '');
    if (domain && !`.${location.hostname}`.endsWith(`.${domain}`)) {
      throw new DOMException(
        `"${domain}" is not ${location.hostname} or a parent domain of it.`,
        'SyntaxError',
      );
    }
    this.attributes =
      '; Path=/; SameSite=Strict' +
      (domain ? `; Domain=${domain}` : '') +
      (location.protocol === 'https:' ? '; Secure' : '');
    this.header = escapeCookie(
      `{"c":${JSON.stringify(name)},"o":${JSON.stringify(this.origin())},"m":[`,
    );
    this.room = CAPACITY - this.cookieName.length - 1 - this.header.length - END.length;
    this.setCookie('probe', 5);
    if (!document.cookie.includes(`${this.cookieName}=probe`)) {
      throw new DOMException(
        `The browser refused a cookie${domain ? ` for ${domain}` : ''}.`,
        'NotSupportedError',
      );
    }
    this.setCookie('', 0);
    this.scan(false);
    this.timer = setInterval(() => this.tick(), POLL_INTERVAL);
  }

  protected write(data: unknown): undefined {
    // Escaping works character by character, so each message is escaped once, on its own.
    const text = escapeCookie(toJson([this.seq + 1, data]));
    if (text.length > this.room) {
      throw new RangeError(
        `The message takes ${text.length} bytes in a cookie; the cookie transport carries at most ${this.room}.`,
      );
    }
    if (this.outbox.length >= OUTBOX_LIMIT) {
      throw new DOMException(
        `${OUTBOX_LIMIT} messages are already waiting for room in the cookie.`,
        'QuotaExceededError',
      );
    }
    this.seq++;
    this.outbox.push(text);
    this.flush();
    return undefined;
  }

  /** Messages still waiting for room are written before the timer stops. */
  protected shutdown(): void {
    if (!this.outbox.length) this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    // Whatever is still held expires once the slowest reader has had its chance.
    if (this.held.length) this.setCookie(this.value(), Math.ceil(HOLD / 1000));
  }

  private tick(): void {
    if (this.closed) {
      this.flush();
      if (!this.outbox.length) this.stop();
    } else {
      this.scan(true);
      this.flush();
    }
  }

  private value(): string {
    return `${this.header}${this.held.map((entry) => entry.text).join(SEPARATOR)}${END}`;
  }

  /** The size of the held messages with one more of `size` bytes. */
  private sizeWith(size: number): number {
    return this.heldSize + (this.held.length ? SEPARATOR.length : 0) + size;
  }

  private flush(): void {
    const now = Date.now();
    let written = false;
    while (this.outbox.length) {
      const size = this.outbox[0].length;
      while (
        this.sizeWith(size) > this.room &&
        this.held.length &&
        now - this.held[0].time >= HOLD
      ) {
        const oldest = this.held.shift()!;
        this.heldSize -= oldest.text.length + (this.held.length ? SEPARATOR.length : 0);
      }
      if (this.sizeWith(size) > this.room) break;
      this.heldSize = this.sizeWith(size);
      this.held.push({ time: now, text: this.outbox.shift()! });
      written = true;
    }
    if (written) this.setCookie(this.value(), MAX_AGE);
  }

  private setCookie(value: string, maxAge: number): void {
    document.cookie = `${this.cookieName}=${value}; Max-Age=${maxAge}${this.attributes}`;
  }

  /** Reads every writer's cookie; `deliver` false marks what is there as sent before we opened. */
  private scan(deliver: boolean): void {
    const jar = document.cookie;
    if (jar === this.jar) return;
    this.jar = jar;
    for (const cookie of jar.split('; ')) {
      if (!cookie.startsWith(PREFIX)) continue;
      const eq = cookie.indexOf('=');
      const sender = cookie.slice(PREFIX.length, eq);
      if (sender === this.sender || eq === cookie.length - 1) continue;
      let window: CookieWindow;
      try {
        window = JSON.parse(decodeURIComponent(cookie.slice(eq + 1))) as CookieWindow;
        if (!Array.isArray(window.m)) throw new TypeError('no messages');
      } catch {
        if (deliver) this.receiveUnreadable('');
        continue;
      }
      if (window.c !== this.name || !window.m.length) continue;
      if (!deliver) {
        this.tracker.fresh(sender, window.m[window.m.length - 1][0]);
        continue;
      }
      const missed = window.m[0][0] - this.tracker.seen(sender) - 1;
      if (this.tracker.known(sender) && missed > 0) {
        this.report(
          'message-lost',
          `${missed} message(s) from another tab left its cookie before this tab read them (background tabs poll less often).`,
        );
      }
      for (const [seq, data] of window.m) {
        if (this.tracker.fresh(sender, seq)) this.receive(data, window.o);
      }
    }
  }
}

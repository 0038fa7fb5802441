/** A message stays in the cookie at least this long, in ms (monotonic), before newer ones push it out. */
export const HOLD = 1500;
/** Name plus value of one cookie; browsers refuse more than 4096 bytes. */
const CAPACITY = 3800;
/**
 * The cookie expires this long after the last write, in s. The browser counts it on the wall
 * clock, so it is generous: a clock step forward of up to about 55 s loses nothing.
 */
const MAX_AGE = 60;
const OUTBOX_LIMIT = 1000;
/** Between two messages, and after the last one, as they stand in the cookie. */
const SEPARATOR = '%2C';
const END = ']}';

/**
 * RFC 6265 § 4.1.1 cookie-octets exclude controls, whitespace, `"`, `,`, `;` and `\`:
 * those (and `%`, and anything beyond ASCII) are percent-encoded, the rest stays as it is so a
 * message costs few bytes.
 */
export const escapeCookie = (text: string): string =>
  text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\0-\x20"%,;\\\x7f-\uffff]/g, encodeURIComponent);

/**
 * One global's cookie for one domain (`tab-channel.<id>`), holding its recent messages in
 * posting order: `{"o": origin, "m": [[seq, clock, channel, data], …]}`. A new message pushes
 * out ones older than 1.5 s when the cookie is full, and waits (in order) while every message
 * in it is younger.
 */
export class CookieMailbox {
  /** Channels here writing through this cookie. */
  users = 0;
  /** Numbers this cookie's messages 1, 2, 3… per channel name: readers tell a gap from it. */
  readonly seqs = new Map<string, number>();
  /** How many bytes one message may take. */
  readonly room: number;
  /** The messages in the cookie, escaped as they stand there, with when each went in. */
  private held: { time: number; text: string }[] = [];
  /** Their length joined by separators: the cookie's size is known without rebuilding it. */
  private heldSize = 0;
  /** Escaped messages waiting for room. */
  private outbox: string[] = [];
  private readonly attributes: string;
  private readonly header: string;

  constructor(
    readonly cookieName: string,
    domain: string,
    origin: string,
  ) {
    this.attributes =
      '; Path=/; SameSite=Strict' +
      (domain ? `; Domain=${domain}` : '') +
      (location.protocol === 'https:' ? '; Secure' : '');
    this.header = escapeCookie(`{"o":${JSON.stringify(origin)},"m":[`);
    this.room = CAPACITY - cookieName.length - 1 - this.header.length - END.length;
    this.setCookie('probe', 5);
    if (!document.cookie.includes(`${cookieName}=probe`)) {
      throw new DOMException(
        `The browser refused a cookie${domain ? ` for ${domain}` : ''}.`,
        'NotSupportedError',
      );
    }
    this.setCookie('', 0);
  }

  /** Messages wait for room. */
  get busy(): boolean {
    return this.outbox.length > 0;
  }

  /** Checks that an escaped message fits, before it is numbered. */
  check(size: number): void {
    if (size > this.room) {
      throw new RangeError(
        `The message takes ${size} bytes in a cookie; the cookie transport carries at most ${this.room}.`,
      );
    }
    if (this.outbox.length >= OUTBOX_LIMIT) {
      throw new DOMException(
        `${OUTBOX_LIMIT} messages are already waiting for room in the cookie.`,
        'QuotaExceededError',
      );
    }
  }

  /** Queues an escaped message that passed `check` and writes what fits. */
  add(text: string): void {
    this.outbox.push(text);
    this.flush();
  }

  flush(): void {
    const now = performance.now();
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

  /** What is still held expires once the slowest reader has had its chance. */
  retire(): void {
    if (this.held.length) this.setCookie(this.value(), Math.ceil(HOLD / 1000));
  }

  private value(): string {
    return `${this.header}${this.held.map((entry) => entry.text).join(SEPARATOR)}${END}`;
  }

  /** The size of the held messages with one more of `size` bytes. */
  private sizeWith(size: number): number {
    return this.heldSize + (this.held.length ? SEPARATOR.length : 0) + size;
  }

  private setCookie(value: string, maxAge: number): void {
    document.cookie = `${this.cookieName}=${value}; Max-Age=${maxAge}${this.attributes}`;
  }
}

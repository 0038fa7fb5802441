/** One dispatched server-sent event. */
export interface ParsedEvent {
  /** The `event:` field, or `message`. */
  type: string;
  data: string;
  /** The last event ID string after this event (it persists across events, per the spec). */
  lastEventId: string;
}

export interface SseParserHandlers {
  onEvent(event: ParsedEvent): void;
  /** A valid `retry:` field: the reconnection time in ms. */
  onRetry?(ms: number): void;
}

const LF = 10;
const SPACE = 32;

/** Where the line being read is: its field name, or the value of a field worth keeping. */
const enum Part {
  Name,
  /** Just after the colon: one space there is dropped (it may arrive in the next chunk). */
  ValueStart,
  Value,
  /** A comment or a field the spec ignores: its value is not kept. */
  Skip,
}

/**
 * An incremental parser for `text/event-stream`, following WHATWG HTML § 9.2.6 "Interpreting an
 * event stream" to the letter. Feed it decoded text in chunks of any size (`TextDecoder` with
 * `stream: true` strips the one leading BOM the spec allows and keeps split UTF-8 sequences
 * whole); the events and `retry` values are the same however the stream is split.
 *
 * The work is linear in the input, however it is split: each `push` looks only at its own
 * chunk (for CR, LF and, until the field name ends, the colon), never again at text buffered
 * from earlier chunks. A line spanning many chunks is kept as a list of pieces and joined once,
 * when it ends. `scanned` counts the characters examined, so a test can prove the bound.
 */
export class SseParser {
  /**
   * Characters examined so far by the line-end and colon searches. Each character of a chunk is
   * examined at most 3 times (CR search, LF search, colon search), and only in the `push` that
   * brought it: `scanned` grows by at most `3 × chunk.length` per push.
   */
  scanned = 0;

  /** A chunk ended on CR: if the next non-empty chunk starts with LF, that LF ends no line. */
  private pendingCR = false;
  private part = Part.Name;
  /** The field name so far (names are short; a long one is an unknown field and is skipped). */
  private name = '';
  /** The value of a line spanning chunks, so far (string concatenation is O(1) in V8). */
  private value = '';
  private data = '';
  private hasData = false;
  private eventType = '';
  private lastEventIdBuffer: string;
  private dispatchedId: string;

  constructor(
    private readonly handlers: SseParserHandlers,
    lastEventId = '',
  ) {
    this.lastEventIdBuffer = this.dispatchedId = lastEventId;
  }

  /**
   * The event source's "last event ID string": the id buffer as of the last blank line. An `id:`
   * of an event cut off before its blank line does not count (§ 9.2.6, dispatch step 1).
   */
  get lastEventId(): string {
    return this.dispatchedId;
  }

  push(chunk: string): void {
    const length = chunk.length;
    if (length === 0) return; // an empty chunk changes nothing, not even a pending CR
    let pos = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk.charCodeAt(0) === LF) pos = 1;
    }
    // The next CR and LF at or after `pos`; -1 once there is none left in this chunk. Each is
    // searched for again only after `pos` has passed it, so no character is searched twice.
    let cr = -2;
    let lf = -2;
    while (pos < length) {
      if (cr !== -1 && cr < pos) cr = this.find('\r', chunk, pos);
      if (lf !== -1 && lf < pos) lf = this.find('\n', chunk, pos);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) {
        this.take(chunk, pos, length);
        return;
      }
      // A line wholly inside this chunk (the usual case) is read at once; one that began in an
      // earlier chunk is finished piece by piece.
      if (this.part === Part.Name && this.name === '') this.line(chunk, pos, end);
      else {
        this.take(chunk, pos, end);
        this.endLine();
      }
      // § 9.2.6: lines end with CRLF, a lone LF or a lone CR.
      if (end === cr && chunk.charCodeAt(end + 1) === LF) pos = end + 2;
      else pos = end + 1;
      if (end === cr && end + 1 === length) this.pendingCR = true;
    }
  }

  /**
   * The stream ended. "If the file ends in the middle of an event, before the final empty line,
   * the incomplete event is not dispatched." Field buffers reset; the last event ID persists.
   */
  end(): void {
    this.pendingCR = false;
    this.resetLine();
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.lastEventIdBuffer = this.dispatchedId;
  }

  private find(char: string, chunk: string, from: number): number {
    const at = chunk.indexOf(char, from);
    this.scanned += (at === -1 ? chunk.length : at + 1) - from;
    return at;
  }

  /** Adds `chunk[from, to)`, part of the current line, to the field name or the value. */
  private take(chunk: string, from: number, to: number): void {
    if (from === to) return;
    if (this.part === Part.Name) {
      const colon = this.find(':', chunk.slice(from, to), 0);
      if (colon === -1) {
        this.name += chunk.slice(from, to);
        // No field the spec knows is longer than 5 characters: skip the rest of such a line.
        if (this.name.length > 5) this.part = Part.Skip;
        return;
      }
      this.name += chunk.slice(from, from + colon);
      from += colon + 1;
      this.part = this.isKept(this.name) ? Part.ValueStart : Part.Skip;
      if (from === to) return;
    }
    if (this.part === Part.Skip) return;
    if (this.part === Part.ValueStart) {
      this.part = Part.Value;
      if (chunk.charCodeAt(from) === SPACE) from++; // one leading space only
      if (from === to) return;
    }
    this.value += chunk.slice(from, to);
  }

  private isKept(name: string): boolean {
    return name === 'data' || name === 'event' || name === 'id' || name === 'retry';
  }

  private resetLine(): void {
    this.part = Part.Name;
    this.name = '';
    this.value = '';
  }

  /** A whole line, `chunk[start, end)`. */
  private line(chunk: string, start: number, end: number): void {
    if (start === end) return this.dispatch();
    // `data:` and `id:`, nearly every line of a stream, are recognised by their first characters
    // (CR and LF are in no field name, so the comparison stops at the line end): no search.
    const first = chunk.charCodeAt(start);
    if (first === 58 /* : */) return; // a comment
    if (
      first === 100 /* d */ &&
      chunk.charCodeAt(start + 1) === 97 /* a */ &&
      chunk.charCodeAt(start + 2) === 116 /* t */ &&
      chunk.charCodeAt(start + 3) === 97 /* a */ &&
      chunk.charCodeAt(start + 4) === 58 /* : */
    ) {
      const value = this.valueOf(chunk, start + 4, end);
      this.data = this.hasData ? `${this.data}\n${value}` : value;
      this.hasData = true;
      return;
    }
    if (
      first === 105 /* i */ &&
      chunk.charCodeAt(start + 1) === 100 /* d */ &&
      chunk.charCodeAt(start + 2) === 58 /* : */
    ) {
      return this.field('id', this.valueOf(chunk, start + 2, end));
    }
    const line = chunk.slice(start, end);
    const colon = this.find(':', line, 0);
    // No colon: the whole line is the field name and the value is empty.
    if (colon === -1) return this.field(line, '');
    this.field(line.slice(0, colon), this.valueOf(line, colon, line.length));
  }

  /** The value after the colon at `colon`, without its one leading space. */
  private valueOf(text: string, colon: number, end: number): string {
    const from = text.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1;
    return from >= end ? '' : text.slice(from, end);
  }

  /** The end of a line that spanned chunks. */
  private endLine(): void {
    const { part, name, value } = this;
    this.resetLine();
    if (part === Part.Skip) return; // a comment, or a field the spec ignores
    // A line with no colon: the whole line is the field name, the value is empty.
    this.field(name, value);
  }

  private field(name: string, value: string): void {
    switch (name) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'id':
        // An id containing U+0000 NULL is ignored; an empty id resets the last event ID.
        if (!value.includes('\0')) this.lastEventIdBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
      // Any other field is ignored.
    }
  }

  private dispatch(): void {
    // The last event ID is set even when no event is dispatched.
    this.dispatchedId = this.lastEventIdBuffer;
    const { data, hasData, eventType } = this;
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    if (!hasData) return;
    this.handlers.onEvent({
      type: eventType || 'message',
      data,
      lastEventId: this.lastEventIdBuffer,
    });
  }
}

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
  /** Any complete line, comments included (a comment is a sign of life, e.g. for heartbeats). */
  onLine?(): void;
}

/**
 * An incremental parser for `text/event-stream`, following WHATWG HTML § 9.2.6 "Interpreting an
 * event stream" to the letter. Feed it decoded text in chunks of any size (`TextDecoder` with
 * `stream: true` strips the one leading BOM the spec allows and keeps split UTF-8 sequences
 * whole); the events and `retry` values are the same however the stream is split.
 */
export class SseParser {
  private buffer = '';
  /** A chunk ended on CR: if the next starts with LF, that LF belongs to the same line end. */
  private pendingCR = false;
  private data = '';
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
    let text = chunk;
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    let start = 0;
    // § 9.2.6: lines end with CRLF, a lone LF or a lone CR.
    for (let i = 0; i < this.buffer.length; i++) {
      const char = this.buffer.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      this.line(this.buffer.slice(start, i));
      if (char === 13) {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /**
   * The stream ended. "If the file ends in the middle of an event, before the final empty line,
   * the incomplete event is not dispatched." Field buffers reset; the last event ID persists.
   */
  end(): void {
    this.buffer = '';
    this.pendingCR = false;
    this.data = '';
    this.eventType = '';
    this.lastEventIdBuffer = this.dispatchedId;
  }

  private line(line: string): void {
    this.handlers.onLine?.();
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 58 /* : */) return; // a comment
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon !== -1) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1); // one leading space only
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data += value + '\n';
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
    const { data, eventType } = this;
    this.data = '';
    this.eventType = '';
    if (data === '') return;
    this.handlers.onEvent({
      type: eventType || 'message',
      data: data.slice(0, -1),
      lastEventId: this.lastEventIdBuffer,
    });
  }
}

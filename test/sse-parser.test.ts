import { expect } from '@open-wc/testing';
import { SseParser, type ParsedEvent } from '../src/internal/sse-parser.js';

/** Runs the parser over `chunks` as UTF-8 bytes decoded like the element does. */
function parse(chunks: Uint8Array[], lastEventId = '') {
  const events: ParsedEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser(
    { onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) },
    lastEventId,
  );
  const decoder = new TextDecoder();
  for (const chunk of chunks) parser.push(decoder.decode(chunk, { stream: true }));
  parser.push(decoder.decode());
  parser.end();
  return { events, retries, lastEventId: parser.lastEventId };
}

const bytes = (text: string) => new TextEncoder().encode(text);

/** The same stream split at every byte boundary (and into single bytes) must parse the same. */
function expectSplitInvariant(stream: Uint8Array) {
  const whole = parse([stream]);
  for (let i = 1; i < stream.length; i++) {
    expect(parse([stream.slice(0, i), stream.slice(i)]), `split at byte ${i}`).to.deep.equal(whole);
  }
  expect(parse([...stream].map((b) => Uint8Array.of(b))), 'one byte at a time').to.deep.equal(
    whole,
  );
  return whole;
}

describe('SseParser (WHATWG HTML § 9.2.6)', () => {
  it('dispatches only on a blank line, joining data lines with \\n', () => {
    const { events } = parse([bytes('data: one\ndata: two\n\ndata: unfinished')]);
    expect(events).to.deep.equal([{ type: 'message', data: 'one\ntwo', lastEventId: '' }]);
  });

  it('accepts CR, LF and CRLF line ends, mixed', () => {
    const { events } = parse([bytes('data: a\r\ndata: b\rdata: c\n\revent: x\r\ndata: d\r\r\n')]);
    expect(events).to.deep.equal([
      { type: 'message', data: 'a\nb\nc', lastEventId: '' },
      { type: 'x', data: 'd', lastEventId: '' },
    ]);
  });

  it('strips one leading BOM and exactly one space after the colon', () => {
    const stream = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('data:  two spaces\ndata:none\n\n')]);
    expect(parse([stream]).events[0].data).to.equal(' two spaces\nnone');
    const second = new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...bytes('data: x\n\n')]);
    expect(parse([second]).events).to.deep.equal(
      [],
      'a second BOM makes the first field name unknown',
    );
  });

  it('treats a field with no colon as the field name with an empty value', () => {
    const { events } = parse([bytes('data\ndata\ndata: x\n\ndata\n\n')]);
    expect(events.map((e) => e.data)).to.deep.equal(['\n\nx', '']);
  });

  it('ignores comments and unknown fields', () => {
    const { events } = parse([bytes(': comment\nfoo: bar\ndata: kept\n:another\n\n')]);
    expect(events).to.deep.equal([{ type: 'message', data: 'kept', lastEventId: '' }]);
  });

  it('keeps the id across events, resets it on an empty id, ignores ids with NULL', () => {
    const { events, lastEventId } = parse([
      bytes('id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\0x\ndata: d\n\nid: 3\n\n'),
    ]);
    expect(events.map((e) => [e.data, e.lastEventId])).to.deep.equal([
      ['a', '1'],
      ['b', '1'],
      ['c', ''],
      ['d', ''],
    ]);
    expect(lastEventId).to.equal('3', 'an id with no data still moves the cursor');
  });

  it('accepts retry only when all ASCII digits', () => {
    const { retries } = parse([
      bytes('retry: 1500\nretry: 15x\nretry: -1\nretry:  2\nretry: 3000\n\n'),
    ]);
    expect(retries).to.deep.equal([1500, 3000]);
  });

  it('an event with no data is not dispatched; the event type resets after each dispatch', () => {
    const { events } = parse([bytes('event: ping\n\nevent: tick\ndata: 1\n\ndata: 2\n\n')]);
    expect(events).to.deep.equal([
      { type: 'tick', data: '1', lastEventId: '' },
      { type: 'message', data: '2', lastEventId: '' },
    ]);
  });

  it('starts from a given last event id', () => {
    expect(parse([bytes('data: x\n\n')], 'cursor-9').events[0].lastEventId).to.equal('cursor-9');
  });

  it('gives identical events for the same stream split at every byte boundary', () => {
    const stream = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...bytes(
        ': hello\r\nretry: 250\r\nid: 7\r\nevent: price\r\ndata: {"eur":1.08}\r\n\r\n' +
          'data: multi\rdata: line — ünïcödé 😀\r\rid\ndata:no-space\n\n' +
          'event: x\ndata\n\nid: 9\0\ndata: end\r\n\r\ndata: cut off',
      ),
    ]);
    const result = expectSplitInvariant(stream);
    expect(result.events).to.deep.equal([
      { type: 'price', data: '{"eur":1.08}', lastEventId: '7' },
      { type: 'message', data: 'multi\nline — ünïcödé 😀', lastEventId: '7' },
      { type: 'message', data: 'no-space', lastEventId: '' },
      { type: 'x', data: '', lastEventId: '' },
      { type: 'message', data: 'end', lastEventId: '' },
    ]);
    expect(result.retries).to.deep.equal([250]);
  });

  it('a CR at the end of a chunk survives an empty chunk: CR, "", LF is one line end', () => {
    const events: ParsedEvent[] = [];
    const parser = new SseParser({ onEvent: (e) => events.push(e) });
    parser.push('data: goat\r');
    parser.push('');
    parser.push('\ndata: bleat\n\n');
    expect(events.map((e) => e.data)).to.deep.equal(['goat\nbleat']);
    // The same with several empty chunks, and a CR that really was a line end.
    const more: ParsedEvent[] = [];
    const second = new SseParser({ onEvent: (e) => more.push(e) });
    for (const chunk of ['data: a\r', '', '', '\r', '', 'data: b\r', '', '\n', '', '\r\n'])
      second.push(chunk);
    expect(more.map((e) => e.data)).to.deep.equal(['a', 'b']);
  });

  it('gives identical events under seeded random splits, empty chunks included', () => {
    const stream =
      'retry: 10\r\nid: 1\rdata: a\r\rdata: b\r\n\r\nevent: e\ndata\n\n: c\r\n\rid: \r\n' +
      'data: ü😀\r\n\n\rdata:x\r\r\n';
    const whole = parse([bytes(stream)]);
    const seed = Math.floor(Math.random() * 2 ** 31);
    let state = seed;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 200; run++) {
      const chunks: string[] = [];
      for (let at = 0; at < stream.length;) {
        const size = Math.floor(random() * 4); // 0 gives an empty chunk
        chunks.push(stream.slice(at, at + size));
        at += size;
      }
      const events: ParsedEvent[] = [];
      const retries: number[] = [];
      const parser = new SseParser({
        onEvent: (e) => events.push(e),
        onRetry: (ms) => retries.push(ms),
      });
      for (const chunk of chunks) parser.push(chunk);
      parser.end();
      expect(
        { events, retries, lastEventId: parser.lastEventId },
        `seed ${seed}, chunks ${JSON.stringify(chunks)}`,
      ).to.deep.equal(whole);
    }
  });
});

describe('SseParser work is linear in its input', () => {
  /** Feeds `text` in chunks of `size` and checks each push's scan against its own chunk. */
  function feedChecked(text: string, size: number) {
    const events: ParsedEvent[] = [];
    const parser = new SseParser({ onEvent: (e) => events.push(e) });
    let worst = 0;
    for (let at = 0; at < text.length; at += size) {
      const chunk = text.slice(at, at + size);
      const before = parser.scanned;
      parser.push(chunk);
      const scanned = parser.scanned - before;
      // The bound: the parser looks only at the characters this push brought (each at most
      // 3 times: CR, LF and colon searches), never again at text buffered from earlier pushes.
      expect(scanned, `push at ${at}`).to.be.at.most(3 * chunk.length);
      worst = Math.max(worst, scanned / chunk.length);
    }
    return { events, worst, scanned: parser.scanned };
  }

  it('a 256 KiB data line fed 4 characters at a time', () => {
    const value = 'x'.repeat(256 * 1024);
    const { events, scanned } = feedChecked(`id: 1\ndata: ${value}\n\n`, 4);
    expect(events).to.have.length(1);
    expect(events[0].data).to.equal(value);
    expect(scanned).to.be.at.most(3 * (value.length + 20));
  });

  it('a 4 MiB line in 64 KiB chunks, and a colon-less 1 MiB line in 1 KiB chunks', () => {
    const value = 'y'.repeat(4 << 20);
    const { events } = feedChecked(`data: ${value}\n\n`, 64 * 1024);
    expect(events[0].data.length).to.equal(value.length);
    const unknown = feedChecked(`${'z'.repeat(1 << 20)}\ndata: after\n\n`, 1024);
    expect(unknown.events.map((e) => e.data)).to.deep.equal(['after']);
  });

  it('many short lines in one chunk: each character searched a bounded number of times', () => {
    const text = 'data: 1\n\n'.repeat(10_000) + 'data: 2\r\r'.repeat(10_000);
    const { events, scanned } = feedChecked(text, text.length);
    expect(events).to.have.length(20_000);
    expect(scanned).to.be.at.most(3 * text.length);
  });
});

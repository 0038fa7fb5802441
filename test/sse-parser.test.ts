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
});

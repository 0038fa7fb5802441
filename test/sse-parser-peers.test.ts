/**
 * The parser cases of `eventsource-parser` (github.com/rexxars/eventsource-parser,
 * test/parse.test.ts with its streams in test/fixtures.ts), re-written for `SseParser`. Each
 * `it` names the case it ports. Where that library goes beyond the spec (it strips a decoded
 * U+FEFF or the raw BOM bytes inside the parser, reports errors for bad `retry:`), the spec's
 * answer is asserted instead and the comment says so.
 */
import { expect } from '@open-wc/testing';
import { SseParser, type ParsedEvent } from '../src/internal/sse-parser.js';

function run(chunks: string[], lastEventId = '') {
  const events: ParsedEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser(
    { onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) },
    lastEventId,
  );
  for (const chunk of chunks) parser.push(chunk);
  return { events, retries, parser };
}
const data = (events: ParsedEvent[]) => events.map((e) => e.data);
/** One event in the wire format, as `eventsource-encoder`'s `encode()` writes it. */
const encode = (e: { id?: string; event?: string; retry?: number; data: string }) =>
  (e.id !== undefined ? `id: ${e.id}\n` : '') +
  (e.event !== undefined ? `event: ${e.event}\n` : '') +
  (e.retry !== undefined ? `retry: ${e.retry}\n` : '') +
  e.data
    .split('\n')
    .map((line) => `data: ${line}\n`)
    .join('') +
  '\n';

describe('eventsource-parser cases (test/parse.test.ts)', () => {
  it('"basic unnamed events stream"', () => {
    const chunks = [0, 1, 2, 3, 4].map((i) => encode({ data: `${i}` }));
    const { events } = run([...chunks, encode({ event: 'done', data: '✔' })]);
    expect(events.map((e) => [e.type, e.data])).to.deep.equal([
      ['message', '0'],
      ['message', '1'],
      ['message', '2'],
      ['message', '3'],
      ['message', '4'],
      ['done', '✔'],
    ]);
  });

  it('"stream of `time` event names, unbalanced chunks" (each event split at every point)', () => {
    const event = encode({ id: '123456', event: 'time', data: '2024-01-01T00:00:00.000Z' });
    for (let at = 0; at <= event.length; at++) {
      const { events } = run([event.slice(0, at), event.slice(at)]);
      expect(
        events.map((e) => [e.type, e.data, e.lastEventId]),
        `split at ${at}`,
      ).to.deep.equal([['time', '2024-01-01T00:00:00.000Z', '123456']]);
    }
  });

  it('"stream of identified messanges + retry interval"', () => {
    const { events, retries } = run([
      encode({ event: 'tick', data: '1337', id: '1337', retry: 50 }),
      encode({ event: 'tick', data: '1338', id: '1338', retry: 50 }),
    ]);
    expect(retries).to.deep.equal([50, 50]);
    expect(events.map((e) => [e.lastEventId, e.type, e.data])).to.deep.equal([
      ['1337', 'tick', '1337'],
      ['1338', 'tick', '1338'],
    ]);
  });

  it('"stream of "heartbeat" comments, unnamed events"', () => {
    const chunks: string[] = [];
    for (let i = 0; i < 5; i++)
      chunks.push(': ♥\n\n', encode({ data: String.fromCharCode(65 + i) }));
    const { events } = run([...chunks, encode({ event: 'done', data: '✔' })]);
    expect(data(events)).to.deep.equal(['A', 'B', 'C', 'D', 'E', '✔']);
  });

  it('"stream of multi-line data events"', () => {
    const { events } = run([
      'event: stock\n',
      'data: YHOO\n',
      'data: +2\n',
      'data: 10\n\n',
      'event: stock\n',
      'data: GOOG\n',
      'data: -8\n',
      'data: 1881\n\n',
    ]);
    expect(events.map((e) => [e.type, e.data])).to.deep.equal([
      ['stock', 'YHOO\n+2\n10'],
      ['stock', 'GOOG\n-8\n1881'],
    ]);
  });

  it('"stream of multi-byte events" (a data line split inside its text)', () => {
    const line = '我現在都看實況不玩遊戲 😀 🥌 ✅';
    const { events } = run([
      'id: 0\n',
      `data:${line.slice(0, 5)}\n`,
      `data:${line.slice(5)}\n\n`,
      'id: 1\n',
      `data:${line}\n\n`,
    ]);
    expect(events.map((e) => [e.lastEventId, e.data])).to.deep.equal([
      ['0', `${line.slice(0, 5)}\n${line.slice(5)}`],
      ['1', line],
    ]);
  });

  it('"stream of multi-byte events with some empty lines thrown in"', () => {
    const { events } = run([
      '\n\n\n\nid: 1\ndata: 我現在都看實況不玩遊戲\n\n',
      encode({ event: 'done', data: '✔' }),
    ]);
    expect(data(events)).to.deep.equal(['我現在都看實況不玩遊戲', '✔']);
  });

  it('"UTF-8 BOM is stripped when bytes are decoded with a default `TextDecoder`"', () => {
    const body = new TextEncoder().encode('data: hello\n\n');
    const { events } = run([new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, ...body]))]);
    expect(data(events)).to.deep.equal(['hello']);
  });

  it('"stream containing decoded U+FEFF byte-order marks (multiple places)": a BOM the decoder left is part of the field name (spec)', () => {
    // eventsource-parser strips a leading U+FEFF itself; the spec strips one BOM while
    // decoding (`TextDecoder` does it), so a U+FEFF reaching the parser makes an unknown field.
    const { events } = run([
      '\uFEFFdata: bomful 1\n\n',
      '\uFEFFdata: bomful 2\n\n',
      'data: bomless 3\n\n',
      encode({ event: 'done', data: '✔' }),
    ]);
    expect(data(events)).to.deep.equal(['bomless 3', '✔']);
  });

  it('"stream using carriage returns"', () => {
    const { events } = run(['data: dog\r', 'data: bark\r\r', 'data: cat\r', 'data: meow\r\r']);
    expect(data(events)).to.deep.equal(['dog\nbark', 'cat\nmeow']);
  });

  it('"stream using line feeds"', () => {
    const { events } = run(['data: cow\n', 'data: moo\n\n', 'data: horse\n', 'data: neigh\n\n']);
    expect(data(events)).to.deep.equal(['cow\nmoo', 'horse\nneigh']);
  });

  it('"stream using carriage returns and line feeds"', () => {
    const { events } = run([
      'data: sheep\r\n',
      'data: bleat\r\n\r\n',
      'data: pig\r\n',
      'data: oink\r\n\r\n',
    ]);
    expect(data(events)).to.deep.equal(['sheep\nbleat', 'pig\noink']);
  });

  it('"stream with varying odd uses of comments"', () => {
    const { events } = run([
      ': Hello\n\n',
      ':'.repeat(300),
      '\n',
      'data: First\n\n',
      ': Первый',
      ': 第二',
      '\n',
      'data: Second\n\n',
      ...Array<string>(10).fill(': Moop \n'),
      ': ثالث',
      '\n',
      'data: Third\n\n',
      ':നാലാമത്തെ',
      '\n',
      'data: Fourth\n\n',
      ': 😀 🥌 ✅ :',
      '\n',
      'data: Fifth\n\n',
      encode({ event: 'done', data: '✔' }),
    ]);
    expect(data(events)).to.deep.equal(['First', 'Second', 'Third', 'Fourth', 'Fifth', '✔']);
  });

  it('"stream with even more odd uses of comments"', () => {
    const long = 'x'.repeat(2 * 1024 + 1);
    const { events } = run([
      'data:1\r\r:\0\n:\r\ndata:2\n\n:',
      long,
      '\rdata:3\n\n:data:fail\r:',
      long,
      '\ndata:4\n\n',
      'data:5',
    ]);
    expect(data(events)).to.deep.equal(['1', '2', '3', '4']); // no line end after 5
  });

  it('"stream with empty `event` field"', () => {
    const { events } = run([
      'event:\ndata: Hello 1\n\n',
      'event:\n\n',
      encode({ event: 'done', data: '✔' }),
    ]);
    expect(events.map((e) => [e.type, e.data])).to.deep.equal([
      ['message', 'Hello 1'],
      ['done', '✔'],
    ]);
  });

  it('"stream with empty `retry` field"', () => {
    const { events, retries } = run([
      encode({ id: '1', retry: 500, data: '🥌' }),
      'id:2\nretry:\ndata:🧹\n\n',
      encode({ id: '3', data: '✅' }),
    ]);
    expect(retries).to.deep.equal([500]);
    expect(events.map((e) => [e.lastEventId, e.data])).to.deep.equal([
      ['1', '🥌'],
      ['2', '🧹'],
      ['3', '✅'],
    ]);
  });

  it('"stream with oddly shaped data field"', () => {
    const { events } = run(['data:\n\ndata\ndata\n\ndata:test\n\n']);
    expect(data(events)).to.deep.equal(['', '\n', 'test']);
  });

  it('"stream with cr separating chunks of same event" (eventsource-parser issue #17)', () => {
    const { events } = run(['data: A\r\n', 'data: B\r', '\n', 'data: C\r\n', '\n']);
    expect(data(events)).to.deep.equal(['A\nB\nC']);
  });

  it('"stream with partially incorrect retry fields" and "stream with incorrect retry fields"', () => {
    expect(run(['retry:1000\nretry:2000x\ndata:x\n\n']).retries).to.deep.equal([1000]);
    const { events, retries } = run([
      '\nretry: 500\n\ndata: first\n\nretry: 50x\n\ndata: second\n\n',
    ]);
    expect(retries).to.deep.equal([500]);
    expect(data(events)).to.deep.equal(['first', 'second']);
  });

  it('"stream with `id` field containing a NULL character"', () => {
    const { events } = run(['id: 123\nid: bad\0id\ndata: hello\n\n']);
    expect(events.map((e) => [e.lastEventId, e.data])).to.deep.equal([['123', 'hello']]);
  });

  it('"reports an `id` from a block without data when the block is dispatched" (CR, CRLF too)', () => {
    const { parser } = run(['id: 42\n']);
    expect(parser.lastEventId).to.equal('', 'not before the blank line');
    parser.push('\n');
    expect(parser.lastEventId).to.equal('42');
    parser.push('id: bad\0id\n\n');
    expect(parser.lastEventId).to.equal('42');
    parser.push('id:\n\n');
    expect(parser.lastEventId).to.equal('');
    for (const end of ['\r', '\r\n']) {
      expect(run([`id: 42${end}${end}`]).parser.lastEventId, JSON.stringify(end)).to.equal('42');
    }
  });

  it('"stream with unknown fields in the stream"', () => {
    const { events } = run([
      'data:abc\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:123\n\n',
    ]);
    expect(data(events)).to.deep.equal(['abc\n\n123']);
  });

  it('"stream with huge data chunks" (10 MiB of multi-line data, fed in pieces)', () => {
    const piece = `data: ${'我現在都看實況不玩遊戲 😀 '.repeat(40)}\n`;
    const chunks = [': hello\n\n'];
    let size = 0;
    while (size < 10 * 1024 * 1024) {
      chunks.push(piece);
      size += piece.length;
    }
    chunks.push('\n', ': END-OF-STREAM\n\n', encode({ event: 'done', data: '✔' }));
    const { events } = run(chunks);
    expect(events).to.have.length(2);
    const lines = chunks.length - 4;
    expect(events[0].data.length).to.equal(lines * (piece.length - 7) + (lines - 1));
    expect(events[1].type).to.equal('done');
  });

  it('"discarded lines …" / "bare field lines terminated by a cr at a chunk boundary …"', () => {
    // The maxBufferSize cases of eventsource-parser discard long unknown lines; the spec keeps
    // parsing after them. Their line-end handling is what carries over.
    expect(data(run([': comment\r', '\n', 'data: a\n\n']).events)).to.deep.equal(['a']);
    expect(data(run(['foobar: x\r', 'data: b\r\r']).events)).to.deep.equal(['b']);
    expect(data(run(['data\r', 'data: c\r', '\n\r\n']).events)).to.deep.equal(['\nc']);
    expect(data(run(['data: d\n\r', '\n']).events)).to.deep.equal(['d']);
    const { events } = run(['data: e\r', '\r', '\n']);
    expect(data(events), 'a blank CR line ending a chunk dispatches exactly once').to.deep.equal([
      'e',
    ]);
  });
});

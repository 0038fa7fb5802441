import { crc32 } from 'node:zlib';
import type { Compression } from './compression.js';

/** The 10-byte gzip member header (RFC 1952 § 2.3): deflate, no name, no time, unknown OS. */
const gzipHeader = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
/** An empty final block (fixed Huffman, end-of-block only). */
const finalBlock = Buffer.from([0x03, 0x00]);

/** `bytes` as stored (uncompressed) deflate blocks of at most 65,535 bytes each. */
function stored(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length || at === 0; at += 0xffff) {
    const chunk = bytes.subarray(at, at + 0xffff);
    const head = Buffer.alloc(5);
    head.writeUInt16LE(chunk.length, 1);
    head.writeUInt16LE(~chunk.length & 0xffff, 3);
    parts.push(head, chunk);
    if (!chunk.length) break;
  }
  return parts;
}

/** What an SSE stream writes through: text as it is, or framed as gzip. */
export interface EventStreamWriter {
  /** `key`: the event the frame is of, so its compressed form is made once for all streams. */
  write(text: string, key?: object): void;
  end(): void;
}

export const plainWriter = (res: { write(text: string): unknown; end(): unknown }) => ({
  write: (text: string) => void res.write(text),
  end: () => void res.end(),
});

/**
 * One SSE response as a gzip member: the header with the first write, each frame as blocks that
 * end byte-aligned (so the client decodes each event as soon as it arrives — nothing waits in a
 * compressor), and the final block, CRC-32 and length at the end (RFC 1952).
 */
export class GzipEventStream implements EventStreamWriter {
  private crc = 0;
  private size = 0;
  private started = false;

  constructor(
    private readonly res: { write(chunk: Buffer): unknown; end(chunk?: Buffer): unknown },
    private readonly compression: Compression,
  ) {}

  write(text: string, key?: object): void {
    const bytes = Buffer.from(text);
    const parts = this.head();
    if (bytes.length >= this.compression.threshold && bytes.length) {
      parts.push(this.compression.deflate(bytes, key));
    } else parts.push(...stored(bytes));
    this.crc = crc32(bytes, this.crc);
    this.size = (this.size + bytes.length) >>> 0;
    this.res.write(Buffer.concat(parts));
  }

  end(): void {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size, 4);
    this.res.end(Buffer.concat([...this.head(), finalBlock, trailer]));
  }

  private head(): Buffer[] {
    if (this.started) return [];
    this.started = true;
    return [gzipHeader];
  }
}

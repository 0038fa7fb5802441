import type { IncomingMessage } from 'node:http';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** The hub's `compression` option (see `HubOptions.compression`). */
export interface CompressionOptions {
  /**
   * Bytes: a WebSocket message, or an SSE event's frame, smaller than this is sent as it is
   * (compressing it costs CPU and saves next to nothing). Default 1024.
   */
  threshold?: number;
  /** gzip for SSE streams whose request accepts it (`Accept-Encoding`). Default true. */
  sse?: boolean;
  /** WebSocket `permessage-deflate` (RFC 7692), for clients that offer it. Default true. */
  websocket?: boolean;
  /** zlib level, 1 (fastest) – 9 (smallest). Default 6. */
  level?: number;
}

/** How many events' compressed frames are kept for the streams that send them next. */
const recentFrames = 16;

/** `gzip` (or `*`) with a q-value above 0 in `Accept-Encoding` (RFC 9110 § 12.5.3). */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.toLowerCase().split(',')) {
    const [coding = '', ...params] = part.split(';').map((s) => s.trim());
    const q = params.find((p) => p.startsWith('q='));
    const allowed = !q || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return allowed;
    if (coding === '*') star = allowed;
  }
  return star;
}

/**
 * Opt-in compression, resolved once per hub. For SSE, each event's frame is compressed **once**
 * for every stream that carries it (raw deflate blocks that start from an empty window and end
 * byte-aligned with a sync flush), and each stream only frames them as its own gzip member
 * (`GzipEventStream`): no zlib state per connection (a zlib stream holds about 256 KiB at the
 * default window and memory level) and no compression per subscriber. The price: an event is
 * compressed without its predecessors as context, so small events gain little — hence the
 * threshold, below which frames go out as stored blocks.
 */
export class Compression {
  readonly threshold: number;
  readonly level: number;
  readonly sse: boolean;
  readonly websocket: boolean;
  /**
   * The last few events' compressed frames, made by the first stream that sends each. A fan-out
   * sends one event to every stream in one turn, so a few suffice; a WeakMap would keep a frame
   * for as long as the memory store keeps the event (history bytes not counted by its bounds).
   */
  private readonly frames = new Map<object, Buffer>();

  constructor(options: boolean | CompressionOptions | undefined) {
    if (options != null && typeof options !== 'boolean' && typeof options !== 'object') {
      throw new TypeError(
        `compression is true, false or { threshold, sse, websocket, level }, not ${String(options)}.`,
      );
    }
    const given = typeof options === 'object' && options !== null ? options : {};
    const on = options === true || (typeof options === 'object' && options !== null);
    const { threshold = 1024, level = 6 } = given;
    if (!Number.isSafeInteger(threshold) || threshold < 0) {
      throw new RangeError(
        `compression.threshold is a whole number of bytes ≥ 0, not ${threshold}.`,
      );
    }
    if (!Number.isInteger(level) || level < 1 || level > 9) {
      throw new RangeError(`compression.level is 1–9, not ${level}.`);
    }
    this.threshold = threshold;
    this.level = level;
    this.sse = on && given.sse !== false;
    this.websocket = on && given.websocket !== false;
    // zlib.crc32 came with Node 20.15: older ones cannot frame gzip without a zlib stream.
    if (this.sse && typeof crc32 !== 'function') {
      throw new Error('SSE compression needs Node ≥ 20.15 (zlib.crc32).');
    }
  }

  /** Whether an SSE request gets a gzip stream: opted in and its `Accept-Encoding` allows it. */
  gzipFor(req: IncomingMessage): boolean {
    return this.sse && acceptsGzip(req.headers['accept-encoding']);
  }

  /**
   * `bytes` as raw deflate blocks from an empty window, ending byte-aligned with a sync flush
   * (RFC 1951), so they can follow any other such blocks in a stream; `key` (the event) keeps
   * them for the next stream that sends it.
   */
  deflate(bytes: Buffer, key?: object): Buffer {
    let blocks = key && this.frames.get(key);
    if (!blocks) {
      blocks = deflateRawSync(bytes, { level: this.level, finishFlush: constants.Z_SYNC_FLUSH });
      if (key) {
        this.frames.set(key, blocks);
        if (this.frames.size > recentFrames) this.frames.delete(this.frames.keys().next().value!);
      }
    }
    return blocks;
  }

  /**
   * `ws`'s `perMessageDeflate` option (the relay asks for compression per message, from
   * `threshold` bytes up: ws's own threshold holds only without context takeover), with
   * the server's window negotiated down to 2^13 bytes and zlib memory level 7: about 100 KiB of
   * zlib state per connection once it has sent a compressed message, rather than about 300 KiB
   * at zlib's defaults (see BENCHMARKS.md). ws runs at most 10 zlib jobs at once (its default).
   */
  // Typed here, not as ws's PerMessageDeflateOptions: the published types must not need @types/ws.
  get perMessageDeflate():
    | false
    | {
        threshold: number;
        serverMaxWindowBits: number;
        zlibDeflateOptions: { level: number; memLevel: number };
      } {
    if (!this.websocket) return false;
    return {
      threshold: this.threshold,
      serverMaxWindowBits: 13,
      zlibDeflateOptions: { level: this.level, memLevel: 7 },
    };
  }
}

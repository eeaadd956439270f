/**
 * One gzip member compressed in independent blocks on the thread pool, as pigz does: each block of
 * input is raw-deflated with the previous block's last 32 KiB as its dictionary and ends on a sync
 * flush, the last one on a final block; the header, the concatenated blocks, CRC-32 and size make a
 * single ordinary gzip member that any reader (Go's `compress/gzip` in Velero, `gzip -d`, Node's
 * zlib) inflates as one stream. Compressed bytes differ from a serial compressor's by a few per block;
 * the ratio is the same, since each block sees the same 32 KiB window a serial deflate would.
 *
 * Why: compression is the largest CPU cost of a backup beyond the LIST itself. A single zlib stream
 * runs on one thread pool thread at a time, so the encoder waited for it while other cores idled;
 * blocks in flight together use them.
 */
import { Readable } from "node:stream";
import { crc32, deflateRaw, type ZlibOptions, constants as zlibConstants } from "node:zlib";

/** A deflate window: what a block may refer back to. */
const WINDOW = 32 * 1024;
/** zlib output buffer per thread pool round trip: a compressed 1 MiB block takes one to four. */
const OUTPUT_CHUNK_BYTES = 256 * 1024;

/** Options of {@link createBlockGzip}. */
export interface BlockGzipOptions {
  /** zlib level 0–9, or -1 for zlib's default (6). */
  readonly level: number;
  /** Input bytes per block. */
  readonly blockBytes: number;
  /** Blocks compressing at once; also the number of blocks held while the consumer does not read. */
  readonly inFlight: number;
}

/** A block-parallel gzip compressor; see {@link createBlockGzip}. */
export interface BlockGzip {
  /** The gzip bytes, in order. */
  readonly stream: Readable;
  /** gzip bytes produced so far. */
  readonly compressedBytes: number;
  /** An empty block of `blockBytes` to fill: one whose compression has finished, or a new one. */
  takeBlock(): Buffer;
  /**
   * Takes a block of input (ownership passes: do not modify it afterwards; it comes back from
   * {@link BlockGzip.takeBlock} once compressed). Resolves when there
   * is room for another block: fewer than `inFlight` are compressing or waiting to be read.
   */
  push(block: Buffer): Promise<void>;
  /** Compresses `rest` as the final block, writes the trailer and ends `stream`. */
  end(rest: Buffer): Promise<void>;
  /** Fails `stream` with `reason`; pending and later calls reject with it. */
  destroy(reason: Error): void;
}

const deflateBlock = (input: Buffer, options: ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    deflateRaw(input, options, (error, output) => (error ? reject(error) : resolve(output)));
  });

/** Go's `compress/gzip` header: no name, no mtime, XFL by level, OS 255 ("unknown"). */
const gzipHeader = (level: number): Buffer =>
  Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level === 1 ? 4 : 0, 0xff]);

/**
 * Creates a block-parallel gzip compressor. Memory is bounded by `inFlight` blocks of input and their
 * output, plus what `stream`'s consumer has not read yet (at most one block's output: the next block is
 * handed over only when `stream` asks for more).
 */
export const createBlockGzip = (options: BlockGzipOptions): BlockGzip => {
  const level = options.level === -1 ? zlibConstants.Z_DEFAULT_COMPRESSION : options.level;
  /** Compressions in order; the head is the next to be pushed onto `stream`. */
  const queue: Promise<Buffer>[] = [];
  let crc = 0;
  let size = 0;
  let compressedBytes = 0;
  let dictionary: Buffer | undefined;
  let failure: Error | undefined;
  let ended = false;
  /** Callers of `push` waiting for a queue slot, and the caller of `end`; all rejected on failure. */
  let waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let endWaiter: { resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Set while `stream` wants no more data; resolved by `read()`. */
  let wantMore: (() => void) | undefined;
  let pumping = false;
  /** Blocks whose compression finished, for reuse: allocating a MiB per block makes work for the GC. */
  const spare: Buffer[] = [];

  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      const resume = wantMore;
      wantMore = undefined;
      resume?.();
    },
  });

  const fail = (error: Error): void => {
    if (failure !== undefined) return;
    failure = error;
    for (const waiter of waiters) waiter.reject(error);
    waiters = [];
    endWaiter?.reject(error);
    endWaiter = undefined;
    for (const pending of queue) pending.catch(() => {});
    queue.length = 0;
    if (!stream.destroyed) stream.destroy(error);
  };
  // a consumer that gives up (destroys the stream) fails the writer instead of leaving it waiting
  stream.once("close", () => {
    if (!ended || queue.length > 0 || wantMore) {
      const error = new Error("the gzip stream was closed before the archive was finalized");
      (error as { code?: string }).code = "ERR_STREAM_PREMATURE_CLOSE";
      fail(error);
    }
  });

  const emit = async (bytes: Buffer): Promise<void> => {
    compressedBytes += bytes.length;
    if (!stream.push(bytes)) await new Promise<void>((resolve) => (wantMore = resolve));
  };

  /** Moves finished blocks onto `stream` in order, waiting for the consumer between blocks. */
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0 && failure === undefined) {
        const output = await queue[0]!;
        if (failure !== undefined) return;
        await emit(output);
        queue.shift();
        const waiter = waiters.shift();
        waiter?.resolve();
      }
      if (ended && queue.length === 0 && failure === undefined) {
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32LE(crc >>> 0, 0);
        trailer.writeUInt32LE(size % 2 ** 32, 4);
        await emit(trailer);
        stream.push(null);
        endWaiter?.resolve();
        endWaiter = undefined;
      }
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      pumping = false;
    }
  };

  const enqueue = (input: Buffer, last: boolean): void => {
    crc = crc32(input, crc);
    size += input.length;
    const compression = deflateBlock(input, {
      level,
      finishFlush: last ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH,
      chunkSize: OUTPUT_CHUNK_BYTES,
      ...(dictionary ? { dictionary } : {}),
    });
    compression.then(
      () => {
        // a block from takeBlock, full or not, is reused whole
        const whole = input.buffer;
        if (
          input.byteOffset === 0 &&
          whole.byteLength === options.blockBytes &&
          spare.length < options.inFlight
        )
          spare.push(Buffer.from(whole, 0, options.blockBytes));
      },
      () => {}, // observed by the pump
    );
    queue.push(compression);
    dictionary =
      input.length >= WINDOW
        ? Buffer.from(input.subarray(input.length - WINDOW))
        : Buffer.concat([dictionary ?? Buffer.alloc(0), input]).subarray(-WINDOW);
    void pump();
  };

  // the header goes out at once, so a consumer sees a gzip stream start even before the first block
  compressedBytes += 10;
  stream.push(gzipHeader(options.level === -1 ? 6 : options.level));

  return {
    stream,
    get compressedBytes() {
      return compressedBytes;
    },
    takeBlock() {
      return spare.pop() ?? Buffer.allocUnsafe(options.blockBytes);
    },
    push(block) {
      if (failure !== undefined) return Promise.reject(failure);
      if (block.length === 0) return Promise.resolve();
      enqueue(block, false);
      if (queue.length < options.inFlight) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    end(rest) {
      if (failure !== undefined) return Promise.reject(failure);
      if (ended) return Promise.reject(new Error("the gzip stream was already ended"));
      ended = true;
      const finished = new Promise<void>((resolve, reject) => (endWaiter = { resolve, reject }));
      enqueue(rest, true);
      return finished;
    },
    destroy(reason) {
      fail(reason);
    },
  };
};

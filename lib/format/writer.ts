/**
 * Streams a backup tarball exactly as Velero 1.18 lays it out (velero-format.md §1):
 * gzip(tar) with `metadata/version` (`1.1.0\n`) first, then every item as regular-file entries only —
 * no directory entries, mode 0755, uid/gid 0, empty uname/gname, mtime now, relative paths (USTAR, PAX
 * only for paths USTAR cannot hold). An item whose version is the preferred one is written twice,
 * adjacent with identical bytes: the classic path, then `<ver>-preferredversion/`; any other version only
 * under `<ver>/` (Velero writes those only with `EnableAPIGroupVersions`).
 *
 * Memory stays bounded: `writeItem` resolves once its entries fit in the pipeline's fixed-size buffers
 * (one item plus a few MiB: the 1 MiB block being filled, at most one compressing block per core, up to
 * four, and one block's output on the readable side), which drain only as fast as the consumer reads
 * `stream`. Blocks are compressed in parallel (`block-gzip.ts`) into one ordinary gzip member.
 */

import { availableParallelism } from "node:os";
import type { Readable } from "node:stream";
import { AbortError, FormatError, isStowageError, ValidationError } from "../errors.ts";
import { createBlockGzip } from "./block-gzip.ts";
import { encodeItemJsonText } from "./json.ts";
import { FORMAT_VERSION, itemPaths, VERSION_FILE_PATH, type VersionedItemLocation } from "./paths.ts";
import { TAR_END, tarHeader, tarPadding, tarPaddingLength, writeTarHeaderInto } from "./tar-entry.ts";

/** Options of {@link createArchiveWriter}. */
export interface ArchiveWriterOptions {
  /**
   * gzip level, 0 (store) to 9 (smallest), or -1 for zlib's default (6), which matches Go's
   * `gzip.DefaultCompression` that Velero uses.
   * @default -1
   */
  compressionLevel?: number;
  /**
   * Clock for the entries' modification times.
   * @default () => new Date()
   */
  now?: () => Date;
}

/** One item to archive. */
export interface ArchiveItem extends VersionedItemLocation {
  /** The API server's preferred version of this resource; equal to `version` in a normal backup. */
  preferredVersion: string;
  /** The object, as plain JSON (after item actions ran); encoded like Go's `json.Marshal`. */
  object: unknown;
}

/** Counters of what has been written so far. */
export interface ArchiveWriterProgress {
  /** Items written (an item written twice counts once). */
  items: number;
  /** Tar entries written, `metadata/version` included. */
  entries: number;
  /** Item JSON bytes written, both copies counted. */
  itemBytes: number;
  /** gzip bytes produced on `stream`. */
  compressedBytes: number;
}

/** A streaming archive writer; see {@link createArchiveWriter}. */
export interface ArchiveWriter {
  /** The gzip bytes. Read it concurrently with the writes (e.g. pipe it to an upload). */
  readonly stream: Readable;
  /** Live counters. */
  readonly progress: Readonly<ArchiveWriterProgress>;
  /**
   * Appends one item (one or two adjacent entries); resolves when the bounded buffers have taken it.
   * Await each call: that is the backpressure.
   */
  writeItem(item: ArchiveItem): Promise<void>;
  /** Ends the tar and gzip streams; resolves when the last byte has been handed to `stream`. */
  finalize(): Promise<void>;
  /** Fails the archive: `stream` errors with `reason`, pending and later writes reject. */
  abort(reason?: unknown): void;
}

/**
 * Tar bytes are compressed in blocks of this size, several at once on the thread pool (see
 * `block-gzip.ts`): large enough that a block's fixed costs (a zlib stream, a thread pool round trip)
 * vanish, small enough that the blocks held in flight stay a few MiB.
 */
const BLOCK_BYTES = 1024 * 1024;
/** Blocks compressing at once: one per core, at least two (one compressing while one is filled), at most four. */
const IN_FLIGHT = Math.max(2, Math.min(4, availableParallelism()));

const resolveOptions = (options: ArchiveWriterOptions): Required<ArchiveWriterOptions> => {
  const { compressionLevel = -1, now = () => new Date() } = options;
  const problems: string[] = [];
  if (!Number.isInteger(compressionLevel) || compressionLevel < -1 || compressionLevel > 9) {
    problems.push(`compressionLevel must be an integer from -1 to 9, received ${String(compressionLevel)}`);
  }
  if (typeof now !== "function") problems.push(`now must be a function returning a Date`);
  if (problems.length > 0) throw new ValidationError(problems, "archive writer options");
  return { compressionLevel, now };
};

const asStreamFailure = (error: unknown): Error => {
  if (isStowageError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_STREAM_PREMATURE_CLOSE") {
    return new FormatError(
      "the archive stream was closed before the archive was finalized; did its consumer (the upload) fail?",
      { cause: error },
    );
  }
  return new FormatError(`writing the archive failed: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  });
};

/**
 * Creates a streaming writer of a Velero-format backup tarball. `metadata/version` is written at once.
 * @example
 * const writer = createArchiveWriter();
 * const upload = store.put(key, writer.stream);
 * for (const item of items) await writer.writeItem(item);
 * await writer.finalize();
 * await upload;
 */
export const createArchiveWriter = (options: ArchiveWriterOptions = {}): ArchiveWriter => {
  const { compressionLevel, now } = resolveOptions(options);
  const gzip = createBlockGzip({ level: compressionLevel, blockBytes: BLOCK_BYTES, inFlight: IN_FLIGHT });
  const progress: ArchiveWriterProgress = {
    items: 0,
    entries: 0,
    itemBytes: 0,
    get compressedBytes() {
      return gzip.compressedBytes;
    },
  };
  let failure: Error | undefined;
  let finalizing = false;
  /** The block being filled, and how much of it is. */
  let block = gzip.takeBlock();
  let filled = 0;
  /** Room promises of the blocks handed over since the last wait (usually none or one). */
  let handedOver: Promise<void>[] = [];

  const fail = (error: unknown): Error => {
    failure ??= asStreamFailure(error);
    return failure;
  };

  /** Hands the block (as far as it is filled) to the compressor and starts a new one. */
  const handOver = (): void => {
    const room = gzip.push(filled === BLOCK_BYTES ? block : block.subarray(0, filled));
    room.catch(() => {}); // observed by waitForRoom
    handedOver.push(room);
    block = gzip.takeBlock();
    filled = 0;
  };

  /** Makes `n` contiguous bytes (at most a block) free in the current block. */
  const reserve = (n: number): void => {
    if (BLOCK_BYTES - filled < n) handOver();
  };

  /** Copies `bytes` into the blocks (synchronously, so concurrent writers never interleave entries). */
  const put = (bytes: Uint8Array): void => {
    let from = 0;
    while (from < bytes.length) {
      const n = Math.min(bytes.length - from, BLOCK_BYTES - filled);
      block.set(from === 0 && n === bytes.length ? bytes : bytes.subarray(from, from + n), filled);
      filled += n;
      from += n;
      if (filled === BLOCK_BYTES) handOver();
    }
  };

  /** Appends one entry: header(s), body, zero padding to a whole 512-byte block. */
  const addEntry = (path: string, data: Uint8Array, mtime: Date): void => {
    for (const part of tarHeader(path, data.length, mtime)) put(part);
    put(data);
    put(tarPadding(data.length));
    progress.entries++;
  };

  /**
   * The hot path of {@link ArchiveWriter.writeItem} for an item that fits in half a block: headers and
   * JSON are written straight into the block (no buffer per entry), the second copy copied from the
   * first.
   */
  const addSmallItem = (paths: readonly string[], text: string, size: number, mtime: Date): void => {
    const padding = tarPaddingLength(size);
    let source: Buffer | undefined;
    let sourceAt = 0;
    for (const path of paths) {
      reserve(512);
      const written = writeTarHeaderInto(block, filled, path, size, mtime);
      if (written > 0) filled += written;
      else for (const part of tarHeader(path, size, mtime)) put(part);
      reserve(size + padding);
      if (source === undefined) {
        block.write(text, filled, "utf8");
        source = block;
        sourceAt = filled;
      } else {
        // the first copy may be in a block already handed over: it is only read, and within this call
        source.copy(block, filled, sourceAt, sourceAt + size);
      }
      filled += size;
      block.fill(0, filled, filled + padding);
      filled += padding;
      if (filled === BLOCK_BYTES) handOver();
      progress.entries++;
    }
  };

  const checkOpen = (what: string): void => {
    if (failure !== undefined) throw failure;
    if (finalizing) {
      throw new FormatError(
        `cannot ${what}: the archive was already finalized; write every item before finalize()`,
      );
    }
  };

  const waitForRoom = async (): Promise<void> => {
    if (handedOver.length === 0) return;
    const pending = handedOver;
    handedOver = [];
    try {
      await Promise.all(pending);
    } catch (error) {
      throw fail(error);
    }
    if (failure !== undefined) throw failure;
  };

  addEntry(VERSION_FILE_PATH, Buffer.from(`${FORMAT_VERSION}\n`), now());

  return {
    stream: gzip.stream,
    progress,
    async writeItem(item: ArchiveItem): Promise<void> {
      checkOpen("write an item");
      const paths = itemPaths(item);
      const text = encodeItemJsonText(item.object);
      const size = Buffer.byteLength(text, "utf8");
      const mtime = now();
      if (size <= BLOCK_BYTES / 2) addSmallItem(paths, text, size, mtime);
      else {
        const bytes = Buffer.from(text, "utf8");
        for (const path of paths) addEntry(path, bytes, mtime);
      }
      progress.items++;
      progress.itemBytes += size * paths.length;
      await waitForRoom();
    },
    async finalize(): Promise<void> {
      checkOpen("finalize");
      finalizing = true;
      put(TAR_END);
      try {
        await waitForRoom();
        await gzip.end(block.subarray(0, filled));
      } catch (error) {
        throw fail(error);
      }
    },
    abort(reason?: unknown): void {
      if (failure !== undefined) return;
      failure =
        reason instanceof Error ? reason : new AbortError("the archive was aborted", { cause: reason });
      gzip.destroy(failure);
    },
  };
};

/**
 * Streams a backup tarball exactly as Velero 1.18 lays it out (velero-format.md §1):
 * gzip(tar) with `metadata/version` (`1.1.0\n`) first, then every item as regular-file entries only —
 * no directory entries, mode 0755, uid/gid 0, empty uname/gname, mtime now, relative paths (USTAR, PAX
 * only for paths USTAR cannot hold). An item whose version is the preferred one is written twice,
 * adjacent with identical bytes: the classic path, then `<ver>-preferredversion/`; any other version only
 * under `<ver>/` (Velero writes those only with `EnableAPIGroupVersions`).
 *
 * Memory stays bounded: `writeItem` resolves once its entries fit in the pipeline's fixed-size buffers
 * (about one item plus ~400 KiB: a 64 KiB batch, gzip's 256 KiB queue, the readable side), which drain
 * only as fast as the consumer reads `stream`.
 */

import { once } from "node:events";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, type ZlibOptions, constants as zlibConstants } from "node:zlib";
import { AbortError, FormatError, isStowageError, ValidationError } from "../errors.ts";
import { encodeItemJson } from "./json.ts";
import { FORMAT_VERSION, itemPaths, VERSION_FILE_PATH, type VersionedItemLocation } from "./paths.ts";
import { TAR_END, tarHeader, tarPadding } from "./tar-entry.ts";

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
 * Tar bytes are handed to gzip in batches of about this size: each write into zlib is a round trip to
 * the thread pool, so thousands of small writes (a 512-byte header, a 2 KB item) cost more than the
 * compression itself.
 */
const BATCH_BYTES = 64 * 1024;
/**
 * Batches gzip may hold before `writeItem` waits: enough that the main thread encodes the next batch
 * while the thread pool compresses the previous ones, few enough to keep memory flat.
 */
const GZIP_QUEUE_BYTES = 4 * BATCH_BYTES;
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNKNOWN = 0xff; // what Go's compress/gzip writes; zlib writes 3 (Unix)

/** Counts the gzip output and sets the header's OS byte to Go's value, so headers match Velero's. */
class GzipOutput extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.bytes <= GZIP_OS_BYTE && this.bytes + chunk.length > GZIP_OS_BYTE) {
      chunk = Buffer.from(chunk);
      chunk[GZIP_OS_BYTE - this.bytes] = GZIP_OS_UNKNOWN;
    }
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

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
  // zlib streams take the stream options too, which ZlibOptions does not declare
  const gzipOptions: ZlibOptions & { writableHighWaterMark: number } = {
    level: compressionLevel === -1 ? zlibConstants.Z_DEFAULT_COMPRESSION : compressionLevel,
    chunkSize: BATCH_BYTES,
    writableHighWaterMark: GZIP_QUEUE_BYTES,
  };
  const gzip = createGzip(gzipOptions);
  const output = new GzipOutput();
  const progress: ArchiveWriterProgress = {
    items: 0,
    entries: 0,
    itemBytes: 0,
    get compressedBytes() {
      return output.bytes;
    },
  };
  let failure: Error | undefined;
  let finalizing = false;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  /** Set while gzip's queue is full: resolves on `drain`, rejects when the pipeline fails. */
  let draining: Promise<void> | undefined;

  const done = pipeline(gzip, output).catch((error: unknown) => {
    failure ??= asStreamFailure(error);
    throw failure;
  });
  done.catch(() => {}); // observed through writeItem/finalize; never an unhandled rejection

  /** Hands the batch to gzip; resolves at once unless gzip's queue is full. */
  const flush = (): Promise<void> | undefined => {
    if (batchBytes > 0) {
      const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
      batch = [];
      batchBytes = 0;
      if (!gzip.write(chunk) && !draining) {
        draining = Promise.race([once(gzip, "drain").then(() => undefined), done]).finally(() => {
          draining = undefined;
        });
      }
    }
    return draining;
  };

  /** Appends one entry to the batch (synchronously, so concurrent writers never interleave entries). */
  const addEntry = (path: string, data: Buffer, mtime: Date): void => {
    for (const part of [...tarHeader(path, data.length, mtime), data, tarPadding(data.length)]) {
      batch.push(part);
      batchBytes += part.length;
    }
    progress.entries++;
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
    try {
      await (batchBytes >= BATCH_BYTES ? flush() : draining);
    } catch (error) {
      throw failure ?? asStreamFailure(error);
    }
    if (failure !== undefined) throw failure;
  };

  addEntry(VERSION_FILE_PATH, Buffer.from(`${FORMAT_VERSION}\n`), now());

  return {
    stream: output,
    progress,
    async writeItem(item: ArchiveItem): Promise<void> {
      checkOpen("write an item");
      const paths = itemPaths(item);
      const bytes = encodeItemJson(item.object);
      const mtime = now();
      for (const path of paths) addEntry(path, bytes, mtime);
      progress.items++;
      progress.itemBytes += bytes.length * paths.length;
      await waitForRoom();
    },
    async finalize(): Promise<void> {
      checkOpen("finalize");
      finalizing = true;
      batch.push(TAR_END);
      batchBytes += TAR_END.length;
      await flush()?.catch(() => undefined); // a failure surfaces through `done`
      gzip.end();
      await done;
    },
    abort(reason?: unknown): void {
      if (failure !== undefined) return;
      failure =
        reason instanceof Error ? reason : new AbortError("the archive was aborted", { cause: reason });
      gzip.destroy(failure);
    },
  };
};

/**
 * Streams a backup tarball exactly as Velero 1.18 lays it out (velero-format.md §1):
 * gzip(tar) with `metadata/version` (`1.1.0\n`) first, then every item as regular-file entries only —
 * no directory entries, mode 0755, uid/gid 0, empty uname/gname, mtime now, relative paths (USTAR, PAX
 * only for paths USTAR cannot hold). An item whose version is the preferred one is written twice,
 * adjacent with identical bytes: the classic path, then `<ver>-preferredversion/`; any other version only
 * under `<ver>/` (Velero writes those only with `EnableAPIGroupVersions`).
 *
 * Memory stays bounded: `writeItem` resolves once its entries fit in the pipeline's fixed-size buffers
 * (about one item plus ~200 KiB), which drain only as fast as the consumer reads `stream`.
 */

import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, constants as zlibConstants } from "node:zlib";
import tar from "tar-stream";
import { AbortError, FormatError, isStowageError, ValidationError } from "../errors.ts";
import { encodeItemJson } from "./json.ts";
import { FORMAT_VERSION, itemPaths, VERSION_FILE_PATH, type VersionedItemLocation } from "./paths.ts";

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

const ENTRY_MODE = 0o755;
const COALESCE_BYTES = 64 * 1024;
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

/**
 * Gathers tar-stream's small pushes (a 512-byte header, the body, its padding) into ~64 KiB writes:
 * each write into zlib is one round trip to the thread pool, which made writing 5× slower.
 */
class Coalescer extends Transform {
  #chunks: Buffer[] = [];
  #size = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size >= COALESCE_BYTES) this.#release();
    callback();
  }
  override _flush(callback: TransformCallback): void {
    this.#release();
    callback();
  }
  #release(): void {
    if (this.#size === 0) return;
    this.push(this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#size));
    this.#chunks = [];
    this.#size = 0;
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
  const pack = tar.pack();
  const gzip = createGzip({
    level: compressionLevel === -1 ? zlibConstants.Z_DEFAULT_COMPRESSION : compressionLevel,
  });
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

  const done = pipeline(pack, new Coalescer(), gzip, output).catch((error: unknown) => {
    failure ??= asStreamFailure(error);
    throw failure;
  });
  done.catch(() => {}); // observed through writeItem/finalize; never an unhandled rejection

  const addEntry = (name: string, data: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      try {
        const sink = pack.entry(
          { name, size: data.length, mode: ENTRY_MODE, type: "file", mtime: now() },
          data,
          (error) => {
            if (error) reject(failure ?? asStreamFailure(error));
            else {
              progress.entries++;
              resolve();
            }
          },
        );
        sink.on("error", () => {}); // reported through the callback above
      } catch (error) {
        reject(failure ?? asStreamFailure(error)); // the pack was destroyed under us
      }
    });

  const checkOpen = (what: string): void => {
    if (failure !== undefined) throw failure;
    if (finalizing) {
      throw new FormatError(
        `cannot ${what}: the archive was already finalized; write every item before finalize()`,
      );
    }
  };

  const versionWritten = addEntry(VERSION_FILE_PATH, Buffer.from(`${FORMAT_VERSION}\n`));
  versionWritten.catch(() => {});

  return {
    stream: output,
    progress,
    async writeItem(item: ArchiveItem): Promise<void> {
      checkOpen("write an item");
      const paths = itemPaths(item);
      const bytes = encodeItemJson(item.object);
      // Both copies are queued synchronously so that they stay adjacent even with concurrent calls.
      await Promise.all(paths.map((path) => addEntry(path, bytes)));
      progress.items++;
      progress.itemBytes += bytes.length * paths.length;
    },
    async finalize(): Promise<void> {
      checkOpen("finalize");
      finalizing = true;
      await versionWritten;
      pack.finalize();
      await done;
    },
    abort(reason?: unknown): void {
      if (failure !== undefined) return;
      failure =
        reason instanceof Error ? reason : new AbortError("the archive was aborted", { cause: reason });
      pack.destroy(failure);
    },
  };
};

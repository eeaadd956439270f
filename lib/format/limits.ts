/**
 * The reader's defences against hostile or broken archives: option defaults and validation, and the
 * byte meters that stop a gzip bomb while it inflates.
 */
import { tmpdir } from "node:os";
import { Transform, type TransformCallback } from "node:stream";
import { FormatError, ValidationError } from "../errors.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Options of `extractArchive`. */
export interface ArchiveReaderOptions {
  /**
   * Directory in which the private extraction directory (`stowage-archive-XXXXXX`, mode 0700) is made.
   * @default os.tmpdir()
   */
  tempDir?: string;
  /**
   * Largest entry accepted, judged from its tar header before any of its bytes are read.
   * @default 67108864 (64 MiB; the Kubernetes object limit is ~1.5 MiB)
   */
  maxEntryBytes?: number;
  /**
   * Most tar entries accepted (every entry counts: items, both copies, directories, strays).
   * @default 1000000
   */
  maxEntries?: number;
  /**
   * Most uncompressed tar bytes accepted (headers and padding included).
   * @default 21474836480 (20 GiB)
   */
  maxTotalBytes?: number;
  /**
   * Highest uncompressed/compressed ratio accepted once more than 8 MiB have been inflated. Real
   * backups compress 10–50×; deflate cannot exceed ~1032×, which is what a gzip bomb aims for.
   * @default 500
   */
  maxCompressionRatio?: number;
  /**
   * Cancels the extraction; the promise rejects with an `AbortError` and the directory is removed.
   * @default undefined (not cancellable)
   */
  signal?: AbortSignal | undefined;
}

/** {@link ArchiveReaderOptions} with every default applied. */
export interface ResolvedReaderOptions {
  tempDir: string;
  maxEntryBytes: number;
  maxEntries: number;
  maxTotalBytes: number;
  maxCompressionRatio: number;
  signal: AbortSignal | undefined;
}

/** Inflated bytes before the compression ratio is judged: small archives have wild ratios. */
export const RATIO_FLOOR_BYTES = 8 * MiB;

/** Applies defaults and validates; throws a `ValidationError` listing every problem. */
export const resolveReaderOptions = (options: ArchiveReaderOptions): ResolvedReaderOptions => {
  const {
    tempDir = tmpdir(),
    maxEntryBytes = 64 * MiB,
    maxEntries = 1_000_000,
    maxTotalBytes = 20 * GiB,
    maxCompressionRatio = 500,
    signal,
  } = options;
  const problems: string[] = [];
  const positive = (name: string, value: unknown) => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      problems.push(`${name} must be a positive integer, received ${String(value)}`);
    }
  };
  positive("maxEntryBytes", maxEntryBytes);
  positive("maxEntries", maxEntries);
  positive("maxTotalBytes", maxTotalBytes);
  if (typeof maxCompressionRatio !== "number" || !(maxCompressionRatio >= 1)) {
    problems.push(`maxCompressionRatio must be a number ≥ 1, received ${String(maxCompressionRatio)}`);
  }
  if (typeof tempDir !== "string" || tempDir === "")
    problems.push("tempDir must be a non-empty directory path");
  if (problems.length > 0) throw new ValidationError(problems, "archive reader options");
  return { tempDir, maxEntryBytes, maxEntries, maxTotalBytes, maxCompressionRatio, signal };
};

/** Byte counts shared by the two meters. */
export interface ByteCounts {
  compressed: number;
  inflated: number;
}

/** Counts bytes passing through; `check` may throw to stop the stream. */
export class ByteMeter extends Transform {
  readonly #add: (n: number) => void;

  constructor(add: (n: number) => void) {
    super();
    this.#add = add;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#add(chunk.length);
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }
}

/** Meters for before and after gunzip, enforcing `maxTotalBytes` and `maxCompressionRatio`. */
export const createMeters = (
  counts: ByteCounts,
  options: Pick<ResolvedReaderOptions, "maxTotalBytes" | "maxCompressionRatio">,
): { compressed: ByteMeter; inflated: ByteMeter } => ({
  compressed: new ByteMeter((n) => {
    counts.compressed += n;
  }),
  inflated: new ByteMeter((n) => {
    counts.inflated += n;
    if (counts.inflated > options.maxTotalBytes) {
      throw new FormatError(
        `the archive inflates to more than maxTotalBytes (${options.maxTotalBytes} bytes) after ${counts.compressed} compressed bytes; it is a gzip bomb or larger than allowed — raise maxTotalBytes if it is a real backup`,
      );
    }
    const ratio = counts.inflated / Math.max(counts.compressed, 1);
    if (counts.inflated > RATIO_FLOOR_BYTES && ratio > options.maxCompressionRatio) {
      throw new FormatError(
        `the archive inflates ${Math.round(ratio)}× (${counts.inflated} bytes from ${counts.compressed}), more than maxCompressionRatio (${options.maxCompressionRatio}×); it looks like a gzip bomb — raise maxCompressionRatio if it is a real backup`,
      );
    }
  }),
});

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
   * Largest PAX extended header (`x`, `g`) or GNU long-name header (`L`, `K`) accepted, judged from
   * its tar header before the parser buffers it. Velero writes a few hundred bytes there.
   * @default 1048576 (1 MiB)
   */
  maxHeaderBytes?: number;
  /**
   * Most uncompressed tar bytes accepted across the whole archive (headers and padding included):
   * it bounds the disk an extraction fills. A 100,000-object backup is about 1 GiB uncompressed.
   * @default 4294967296 (4 GiB; the runner's scratch volume is sized to match)
   */
  maxTotalBytes?: number;
  /**
   * Highest uncompressed/compressed ratio of the whole stream so far, judged once more than 8 MiB
   * have been inflated (small archives have wild ratios). Real
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
  maxHeaderBytes: number;
  maxTotalBytes: number;
  maxCompressionRatio: number;
  signal: AbortSignal | undefined;
}

/**
 * Default `maxTotalBytes`: 4 GiB, some four times a 100,000-object backup, and what the runner's
 * scratch `emptyDir` (`sizeLimit: 6Gi`, runner/deploy/deployment.yaml) leaves room for.
 */
export const DEFAULT_MAX_TOTAL_BYTES = 4 * GiB;

/** Inflated bytes before the compression ratio is judged: small archives have wild ratios. */
export const RATIO_FLOOR_BYTES = 8 * MiB;

/** Applies defaults and validates; throws a `ValidationError` listing every problem. */
export const resolveReaderOptions = (options: ArchiveReaderOptions): ResolvedReaderOptions => {
  const {
    tempDir = tmpdir(),
    maxEntryBytes = 64 * MiB,
    maxEntries = 1_000_000,
    maxHeaderBytes = MiB,
    maxTotalBytes = DEFAULT_MAX_TOTAL_BYTES,
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
  positive("maxHeaderBytes", maxHeaderBytes);
  positive("maxTotalBytes", maxTotalBytes);
  if (typeof maxCompressionRatio !== "number" || !(maxCompressionRatio >= 1)) {
    problems.push(`maxCompressionRatio must be a number ≥ 1, received ${String(maxCompressionRatio)}`);
  }
  if (typeof tempDir !== "string" || tempDir === "")
    problems.push("tempDir must be a non-empty directory path");
  if (problems.length > 0) throw new ValidationError(problems, "archive reader options");
  return {
    tempDir,
    maxEntryBytes,
    maxEntries,
    maxHeaderBytes,
    maxTotalBytes,
    maxCompressionRatio,
    signal,
  };
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
        `the archive inflates to more than maxTotalBytes (${options.maxTotalBytes} bytes) after ${counts.compressed} compressed bytes; it is a gzip bomb or larger than allowed — raise maxTotalBytes (restore({ archiveLimits })) if it is a real backup`,
      );
    }
    const ratio = counts.inflated / Math.max(counts.compressed, 1);
    if (counts.inflated > RATIO_FLOOR_BYTES && ratio > options.maxCompressionRatio) {
      throw new FormatError(
        `the archive inflates ${Math.round(ratio)}× (${counts.inflated} bytes from ${counts.compressed}), more than maxCompressionRatio (${options.maxCompressionRatio}×); it looks like a gzip bomb — raise maxCompressionRatio (restore({ archiveLimits })) if it is a real backup`,
      );
    }
  }),
});

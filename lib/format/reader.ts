/**
 * Reads a Velero-format backup tarball (any Velero version: `metadata/version` `1.1.0`, `1`, or none)
 * into a private temporary directory, building its index on the way, and then serves items by
 * (group resource, namespace, name) from the classic path, as Velero's restore does.
 *
 * Hostile archives are refused with a `FormatError` before anything of theirs touches the disk: only
 * regular files and directories, relative paths without `..`, declared sizes within `maxEntryBytes`
 * (judged from the header), PAX and GNU long-name headers within `maxHeaderBytes` (judged before the
 * tar parser buffers them), at most `maxEntries` entries, `maxTotalBytes` inflated bytes in all and a
 * whole-stream compression ratio within `maxCompressionRatio`, no duplicate entries. Archive names never become file names: item bytes go to one append-only file in
 * a `mkdtemp` directory (see item-store.ts), so no entry can write outside it. Memory stays bounded by
 * one entry plus the index.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { AbortError, FormatError, isStowageError } from "../errors.ts";
import { type ArchiveIndex, IndexBuilder } from "./archive-index.ts";
import { type ExtractedArchive, openExtracted } from "./extracted-archive.ts";
import { TarHeaderGuard } from "./header-guard.ts";
import { ItemStore } from "./item-store.ts";
import {
  type ArchiveReaderOptions,
  type ByteCounts,
  createMeters,
  type ResolvedReaderOptions,
  resolveReaderOptions,
} from "./limits.ts";
import { FORMAT_VERSION, normalizeEntryPath, parseArchivePath } from "./paths.ts";

const VERSION_FILE_MAX_BYTES = 1024;
const MAX_WARNINGS = 100;
const KNOWN_FORMAT_VERSION = /^(1|1\.\d+\.\d+)$/;

const readBody = async (body: AsyncIterable<Buffer>, size: number): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks, size);
};

const drain = async (body: AsyncIterable<Buffer>): Promise<void> => {
  for await (const _ of body);
};

interface ExtractionState {
  builder: IndexBuilder;
  store: ItemStore;
  warnings: string[];
  strayCount: number;
  otherPaths: Set<string>;
  entries: number;
  formatVersion: string | undefined;
}

const refuse = (path: string, why: string): FormatError =>
  new FormatError(`refusing archive entry ${JSON.stringify(path)}: ${why}`);

const handleEntry = async (
  header: tar.Header,
  body: AsyncIterable<Buffer>,
  state: ExtractionState,
  options: ResolvedReaderOptions,
): Promise<void> => {
  state.entries++;
  if (state.entries > options.maxEntries) {
    throw new FormatError(
      `the archive has more than maxEntries (${options.maxEntries}) entries; it is hostile or larger than allowed — raise maxEntries if it is a real backup`,
    );
  }
  const type = header.type ?? "unknown";
  if (type !== "file" && type !== "directory") {
    const target = header.linkname ? ` pointing to ${JSON.stringify(header.linkname)}` : "";
    throw refuse(
      header.name,
      `it is ${/^[aeiou]/.test(type) ? "an" : "a"} ${type}${target}, but a Velero archive holds only regular files; the archive is corrupt or hostile`,
    );
  }
  const size = header.size;
  if (typeof size !== "number" || !(size >= 0)) {
    // tar-stream reads an unreadable size field as null and would wait forever for the body
    throw refuse(
      header.name,
      `its header's size field is unreadable (${String(size)}); the archive is corrupt or hostile`,
    );
  }
  const path = normalizeEntryPath(header.name, { allowRoot: type === "directory" });
  if (size > options.maxEntryBytes) {
    throw refuse(
      path,
      `its header declares ${size} bytes, more than maxEntryBytes (${options.maxEntryBytes}); raise maxEntryBytes if it is a real item`,
    );
  }
  if (type === "directory") {
    // The tar parser gives a directory no body whatever its header says, and would wait forever for one.
    if (size > 0) {
      throw refuse(
        path,
        `it is a directory whose header declares ${size} bytes of data, which no tar writer does; the archive is corrupt or hostile`,
      );
    }
    return drain(body);
  }

  const info = parseArchivePath(path);
  if (info.kind !== "item") {
    if (state.otherPaths.has(path)) throw refuse(path, "it appears twice in the archive");
    state.otherPaths.add(path);
  }
  switch (info.kind) {
    case "version": {
      if (size > VERSION_FILE_MAX_BYTES)
        throw refuse(path, `a format-version file of ${size} bytes is not one`);
      const text = (await readBody(body, size)).toString("utf8").trim();
      state.formatVersion = text;
      if (!KNOWN_FORMAT_VERSION.test(text)) {
        state.warnings.push(
          `unknown archive format version ${JSON.stringify(text)} (this reader knows 1 and ${FORMAT_VERSION}); reading it as ${FORMAT_VERSION}`,
        );
      }
      return;
    }
    case "item": {
      if (state.builder.has(info)) throw refuse(path, "it appears twice in the archive");
      const data = await readBody(body, size);
      const id = await state.store.append(
        data,
        `${info.groupResource}\0${info.namespace ?? ""}\0${info.name}`,
      );
      state.builder.add(info, id);
      return;
    }
    default: {
      state.strayCount++;
      if (state.strayCount <= MAX_WARNINGS) {
        const why = info.kind === "stray" ? info.reason : "an unknown metadata file";
        state.warnings.push(`ignoring unexpected archive entry ${JSON.stringify(path)}: ${why}`);
      }
      return drain(body);
    }
  }
};

const asReadFailure = (error: unknown): Error => {
  if (isStowageError(error)) return error;
  const err = error as { message?: unknown } | null;
  const message = typeof err?.message === "string" ? err.message : String(error);
  return new FormatError(
    `reading the archive failed: ${message}; it is corrupt, truncated, or not a gzip'd tar backup`,
    { cause: error },
  );
};

const extractInto = async (
  source: Readable | AsyncIterable<Uint8Array>,
  options: ResolvedReaderOptions,
  builder: IndexBuilder,
  store: ItemStore,
): Promise<ArchiveIndex> => {
  const state: ExtractionState = {
    builder,
    store,
    warnings: [],
    strayCount: 0,
    otherPaths: new Set(),
    entries: 0,
    formatVersion: undefined,
  };
  const counts: ByteCounts = { compressed: 0, inflated: 0 };
  const meters = createMeters(counts, options);
  const extract = tar.extract();
  let firstError: Error | undefined;
  extract.on("entry", (header, body, next) => {
    body.on("error", () => {}); // surfaces through the iteration in handleEntry (or the pipeline)
    // tar-stream's entry stream is a streamx Readable: async-iterable, though not typed so.
    handleEntry(header, body as unknown as AsyncIterable<Buffer>, state, options).then(
      () => next(),
      (error: unknown) => {
        firstError ??= asReadFailure(error);
        next(firstError);
      },
    );
  });
  try {
    await pipeline(
      source,
      meters.compressed,
      createGunzip(),
      meters.inflated,
      new TarHeaderGuard(options.maxHeaderBytes),
      extract,
      options.signal === undefined ? {} : { signal: options.signal },
    );
  } catch (error) {
    if (options.signal?.aborted) {
      throw new AbortError("reading the archive was aborted", { cause: options.signal.reason ?? error });
    }
    throw firstError ?? asReadFailure(error);
  }
  await store.finish();
  if (state.strayCount > MAX_WARNINGS) {
    state.warnings.push(`…and ${state.strayCount - MAX_WARNINGS} more unexpected entries ignored`);
  }
  const { resources, itemCount } = state.builder.build(state.warnings);
  if (resources.size === 0)
    state.warnings.push('the archive has no "resources/" items: zero items to restore');
  return {
    formatVersion: state.formatVersion,
    resources,
    itemCount,
    entryCount: state.entries,
    warnings: state.warnings,
  };
};

/**
 * Extracts a gzip'd Velero backup tarball into a private temporary directory and indexes it.
 * On any failure the directory is removed before the promise rejects.
 * @throws FormatError for a corrupt or hostile archive; AbortError when `signal` fires.
 * @example
 * const archive = await extractArchive(await store.get(key), { tempDir });
 * try {
 *   for (const ref of archive.items()) console.log(await archive.readItem(ref));
 * } finally {
 *   await archive.cleanup();
 * }
 */
export const extractArchive = async (
  source: Readable | AsyncIterable<Uint8Array>,
  options: ArchiveReaderOptions = {},
): Promise<ExtractedArchive> => {
  const resolved = resolveReaderOptions(options);
  const dir = await mkdtemp(join(resolved.tempDir, "stowage-archive-"));
  const store = new ItemStore(dir);
  try {
    const builder = new IndexBuilder();
    const index = await extractInto(source, resolved, builder, store);
    return openExtracted(dir, index, builder, store);
  } catch (error) {
    await store.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
};

/**
 * The backup archive: every path inside the tarball, the streaming writer and the hardened reader,
 * and Go-compatible item JSON — all in Velero 1.18's exact format.
 */

export type { ArchiveIndex, ArchiveResourceIndex } from "./archive-index.ts";
export type { ArchiveItemRef, ExtractedArchive } from "./extracted-archive.ts";
export {
  compareGoStrings,
  encodeItemJson,
  type JsonValue,
  type ParseItemJsonOptions,
  parseItemJson,
  quoteGoString,
} from "./json.ts";
export type { ArchiveReaderOptions } from "./limits.ts";
export {
  type ArchivePathInfo,
  CLUSTER_DIR,
  FORMAT_VERSION,
  groupResourceDir,
  type ItemLocation,
  itemPath,
  itemPaths,
  METADATA_DIR,
  NAMESPACES_DIR,
  normalizeEntryPath,
  type ParsedItemPath,
  PREFERRED_VERSION_SUFFIX,
  parseArchivePath,
  parseItemPath,
  preferredVersionItemPath,
  RESOURCES_DIR,
  type StrayPath,
  splitGroupResource,
  VERSION_FILE_PATH,
  type VersionedItemLocation,
  versionDir,
  versionedItemPath,
} from "./paths.ts";
export { extractArchive } from "./reader.ts";
export {
  type ArchiveItem,
  type ArchiveWriter,
  type ArchiveWriterOptions,
  type ArchiveWriterProgress,
  createArchiveWriter,
} from "./writer.ts";

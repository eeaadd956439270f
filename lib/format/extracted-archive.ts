/**
 * An extracted archive as its users see it: the index, and items read by (group resource, namespace,
 * name) from the classic copy — as Velero's restore reads them — or from a version directory.
 */
import { rm } from "node:fs/promises";
import { FormatError } from "../errors.ts";
import type { ArchiveIndex, IndexBuilder } from "./archive-index.ts";
import type { ItemStore } from "./item-store.ts";
import { type ParseItemJsonOptions, parseItemJson } from "./json.ts";

/** Identifies an item in an extracted archive. */
export interface ArchiveItemRef {
  /** `pods`, `deployments.apps`. */
  groupResource: string;
  /** Absent or `""` for a cluster-scoped item. */
  namespace?: string | undefined;
  name: string;
  /**
   * Read the copy filed under this API version (`<ver>-preferredversion/` or `<ver>/`) instead of the
   * classic copy.
   * @default undefined (the classic copy)
   */
  version?: string | undefined;
}

/** An archive extracted to a private directory; call `cleanup()` when done. */
export interface ExtractedArchive {
  /** The private directory (items are stored in one file by offset, never by archive path). */
  readonly dir: string;
  readonly index: ArchiveIndex;
  /** True when the item (copy) is in the archive. */
  hasItem(ref: ArchiveItemRef): boolean;
  /** The item's bytes exactly as archived. */
  readItemBytes(ref: ArchiveItemRef): Promise<Buffer>;
  /** The item, parsed. */
  readItem(ref: ArchiveItemRef, options?: ParseItemJsonOptions): Promise<unknown>;
  /** Every item with a classic copy, in index order (group resource, cluster scope, then namespaces). */
  items(): Generator<ArchiveItemRef & { namespace: string }>;
  /** Removes the directory; idempotent. */
  cleanup(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const describeRef = (ref: ArchiveItemRef): string =>
  `${ref.groupResource} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}${ref.version === undefined ? "" : ` (version ${ref.version})`}`;

/** Wraps a finished extraction; internal to the reader. */
export const openExtracted = (
  dir: string,
  index: ArchiveIndex,
  builder: IndexBuilder,
  store: ItemStore,
): ExtractedArchive => {
  let cleaned: Promise<void> | undefined;
  const read = async (ref: ArchiveItemRef): Promise<Buffer> => {
    if (cleaned !== undefined) {
      throw new FormatError(`cannot read ${describeRef(ref)}: the extracted archive was already cleaned up`);
    }
    const id = builder.lookup(ref.groupResource, ref.namespace ?? "", ref.name, ref.version);
    if (id === undefined) {
      throw new FormatError(
        `${describeRef(ref)} is not in the archive; consult archive.index (or hasItem) for what it holds`,
      );
    }
    return store.read(id);
  };
  const cleanup = (): Promise<void> => {
    cleaned ??= store.close().finally(() => rm(dir, { recursive: true, force: true }));
    return cleaned;
  };
  return {
    dir,
    index,
    hasItem: (ref) =>
      builder.lookup(ref.groupResource, ref.namespace ?? "", ref.name, ref.version) !== undefined,
    readItemBytes: read,
    readItem: async (ref, options) => parseItemJson(await read(ref), options, describeRef(ref)),
    *items() {
      for (const resource of index.resources.values()) {
        for (const name of resource.cluster)
          yield { groupResource: resource.groupResource, namespace: "", name };
        for (const [namespace, names] of resource.namespaced) {
          for (const name of names) yield { groupResource: resource.groupResource, namespace, name };
        }
      }
    },
    cleanup,
    [Symbol.asyncDispose]: cleanup,
  };
};

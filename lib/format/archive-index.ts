/**
 * The catalogue of an extracted archive, as Velero's `pkg/archive/parser.go` builds it: per group
 * resource, the classic copies by namespace (or cluster scope), plus the version directories found
 * (`ParseGroupVersions`). Also the private lookup from an item to the file holding its bytes.
 */
import { compareGoStrings } from "./json.ts";
import { type ParsedItemPath, PREFERRED_VERSION_SUFFIX } from "./paths.ts";

/** What one group resource holds. Item lists are sorted by name, namespaces by name. */
export interface ArchiveResourceIndex {
  /** `pods`, `deployments.apps`. */
  groupResource: string;
  resource: string;
  /** `""` for the core group. */
  group: string;
  /** The version whose directory carries `-preferredversion` (archives from Velero 1.4 on). */
  preferredVersion?: string;
  /** Every version directory, suffix stripped, sorted. Empty for archives older than Velero 1.4. */
  versions: string[];
  /** Classic copies of namespaced items: namespace → names. */
  namespaced: Map<string, string[]>;
  /** Classic copies of cluster-scoped items. */
  cluster: string[];
}

/** The catalogue of an archive. */
export interface ArchiveIndex {
  /** Content of `metadata/version` without its newline: `1.1.0`, `1` (Velero 0.11–1.3), or undefined (older). */
  formatVersion: string | undefined;
  /** Group resources, sorted by name. */
  resources: Map<string, ArchiveResourceIndex>;
  /** Items with a classic copy (what a restore sees). */
  itemCount: number;
  /** Tar entries read. */
  entryCount: number;
  /** Things worth telling but not failing for (stray entries, an unknown format version). */
  warnings: string[];
}

/** Key of the directory holding a copy: `""` for classic, else the version directory name. */
export type CopyKey = string;

const copyKeyOf = (item: ParsedItemPath): CopyKey =>
  item.version === undefined
    ? ""
    : item.preferred
      ? `${item.version}${PREFERRED_VERSION_SUFFIX}`
      : item.version;

interface ResourceBuild {
  groupResource: string;
  resource: string;
  group: string;
  preferredVersions: Set<string>;
  versions: Set<string>;
  /** copy key → namespace (`""` = cluster scope) → name → file id. */
  copies: Map<CopyKey, Map<string, Map<string, number>>>;
}

const sorted = (values: Iterable<string>): string[] => [...values].sort(compareGoStrings);

/** Accumulates parsed item paths while extracting; answers lookups afterwards. */
export class IndexBuilder {
  readonly #resources = new Map<string, ResourceBuild>();

  /** True when this copy of the item was already recorded. */
  has(item: ParsedItemPath): boolean {
    return (
      this.#resources
        .get(item.groupResource)
        ?.copies.get(copyKeyOf(item))
        ?.get(item.namespace ?? "")
        ?.has(item.name) === true
    );
  }

  /** Records an item copy stored as `id`; false if that copy was already recorded. */
  add(item: ParsedItemPath, id: number): boolean {
    let resource = this.#resources.get(item.groupResource);
    if (resource === undefined) {
      resource = {
        groupResource: item.groupResource,
        resource: item.resource,
        group: item.group,
        preferredVersions: new Set(),
        versions: new Set(),
        copies: new Map(),
      };
      this.#resources.set(item.groupResource, resource);
    }
    if (item.version !== undefined) {
      resource.versions.add(item.version);
      if (item.preferred) resource.preferredVersions.add(item.version);
    }
    const key = copyKeyOf(item);
    let scopes = resource.copies.get(key);
    if (scopes === undefined) {
      scopes = new Map();
      resource.copies.set(key, scopes);
    }
    const namespace = item.namespace ?? "";
    let names = scopes.get(namespace);
    if (names === undefined) {
      names = new Map();
      scopes.set(namespace, names);
    }
    if (names.has(item.name)) return false;
    names.set(item.name, id);
    return true;
  }

  /** The stored id of a copy, or undefined. `version` undefined means the classic copy. */
  lookup(groupResource: string, namespace: string, name: string, version?: string): number | undefined {
    const resource = this.#resources.get(groupResource);
    if (resource === undefined) return undefined;
    const keys = version === undefined ? [""] : [`${version}${PREFERRED_VERSION_SUFFIX}`, version];
    for (const key of keys) {
      const id = resource.copies.get(key)?.get(namespace)?.get(name);
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /** The public catalogue; `warnings` receives oddities found on the way. */
  build(warnings: string[]): { resources: Map<string, ArchiveResourceIndex>; itemCount: number } {
    const resources = new Map<string, ArchiveResourceIndex>();
    let itemCount = 0;
    for (const groupResource of sorted(this.#resources.keys())) {
      const build = this.#resources.get(groupResource)!;
      const preferred = sorted(build.preferredVersions);
      if (preferred.length > 1) {
        warnings.push(
          `${groupResource} has several preferred-version directories (${preferred.join(", ")}); using ${preferred[0]}`,
        );
      }
      const classic = build.copies.get("") ?? new Map<string, Map<string, number>>();
      const namespaced = new Map<string, string[]>();
      let cluster: string[] = [];
      for (const namespace of sorted(classic.keys())) {
        const names = sorted(classic.get(namespace)!.keys());
        itemCount += names.length;
        if (namespace === "") cluster = names;
        else namespaced.set(namespace, names);
      }
      const entry: ArchiveResourceIndex = {
        groupResource,
        resource: build.resource,
        group: build.group,
        versions: sorted(build.versions),
        namespaced,
        cluster,
      };
      if (preferred[0] !== undefined) entry.preferredVersion = preferred[0];
      resources.set(groupResource, entry);
    }
    return { resources, itemCount };
  }
}

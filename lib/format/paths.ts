/**
 * Every path inside a backup tarball, in one place (Velero's `pkg/archive/filesystem.go`,
 * `pkg/apis/velero/v1/constants.go`). Builders for the writer, the inverse parser for the reader.
 *
 *   metadata/version                                                  "1.1.0\n"
 *   resources/<gr>/namespaces/<ns>/<name>.json                        classic copy (the preferred version)
 *   resources/<gr>/cluster/<name>.json                                classic copy, cluster-scoped
 *   resources/<gr>/<ver>-preferredversion/namespaces|cluster/…        same bytes as the classic copy
 *   resources/<gr>/<ver>/namespaces|cluster/…                         a non-preferred API version
 *
 * `<gr>` is `GroupResource.String()`: `pods` for the core group, else `deployments.apps`.
 */
import { FormatError } from "../errors.ts";

/** The archive format version Velero 1.4+ writes (`BackupFormatVersion`). */
export const FORMAT_VERSION = "1.1.0";
/** Path of the format-version file, the first entry of every archive. */
export const VERSION_FILE_PATH = "metadata/version";
/** Top-level directory of the items. */
export const RESOURCES_DIR = "resources";
/** Top-level directory of the archive metadata. */
export const METADATA_DIR = "metadata";
/** Scope directory of cluster-scoped items. */
export const CLUSTER_DIR = "cluster";
/** Scope directory of namespaced items. */
export const NAMESPACES_DIR = "namespaces";
/** Suffix of the version directory that holds the preferred version's copy. */
export const PREFERRED_VERSION_SUFFIX = "-preferredversion";

/** Where an item lives, without its API version. */
export interface ItemLocation {
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  /** API group; `""` for the core group. */
  group: string;
  /** Namespace; absent or `""` for a cluster-scoped item. */
  namespace?: string | undefined;
  /** Object name. */
  name: string;
}

/** An item location plus the API version directory it is filed under. */
export interface VersionedItemLocation extends ItemLocation {
  /** API version, e.g. `v1` or `v1beta1`. */
  version: string;
}

/** What an archive path denotes. */
export type ArchivePathInfo =
  | { kind: "version" }
  | { kind: "metadata"; path: string }
  | ParsedItemPath
  | StrayPath;

/** An item path, parsed. */
export interface ParsedItemPath {
  kind: "item";
  /** `GroupResource.String()`: `pods`, `deployments.apps`. */
  groupResource: string;
  resource: string;
  group: string;
  /** The version directory's version; absent for the classic copy. */
  version?: string;
  /** True for the classic copy and for `<ver>-preferredversion/`; false for a non-preferred version. */
  preferred: boolean;
  scope: "namespaced" | "cluster";
  /** Present exactly when `scope` is `namespaced`. */
  namespace?: string;
  name: string;
}

/** A path that is neither metadata nor an item: Velero ignores such entries with a warning. */
export interface StrayPath {
  kind: "stray";
  /** Why it is not an item path. */
  reason: string;
}

const checkSegment = (what: string, value: unknown, extra?: (v: string) => string | undefined): string => {
  const problem =
    typeof value !== "string"
      ? `expected a string, received ${typeof value}`
      : value === ""
        ? "it is empty"
        : value === "." || value === ".."
          ? `"${value}" is not a valid name`
          : value.includes("/") || value.includes("\0")
            ? `"${value}" contains "/" or a NUL byte`
            : extra?.(value);
  if (problem !== undefined) {
    throw new FormatError(
      `cannot build an archive path: ${what} is invalid (${problem}); pass Kubernetes names`,
    );
  }
  return value as string;
};

/** `GroupResource.String()`: `pods` for the core group, `deployments.apps` otherwise. */
export const groupResourceDir = (resource: string, group: string): string => {
  checkSegment("resource", resource, (v) => (v.includes(".") ? `"${v}" contains "."` : undefined));
  if (group === "") return resource;
  checkSegment("group", group);
  return `${resource}.${group}`;
};

/** Splits `deployments.apps` into resource and group: the first segment is the resource. */
export const splitGroupResource = (groupResource: string): { resource: string; group: string } => {
  const dot = groupResource.indexOf(".");
  return dot === -1
    ? { resource: groupResource, group: "" }
    : { resource: groupResource.slice(0, dot), group: groupResource.slice(dot + 1) };
};

/** The version directory name: `v1-preferredversion` or `v1beta1`. */
export const versionDir = (version: string, preferred: boolean): string => {
  checkSegment("version", version);
  return preferred ? `${version}${PREFERRED_VERSION_SUFFIX}` : version;
};

const scopedPath = (location: ItemLocation, base: string): string => {
  const name = checkSegment("name", location.name);
  const namespace = location.namespace ?? "";
  if (namespace === "") return `${base}/${CLUSTER_DIR}/${name}.json`;
  return `${base}/${NAMESPACES_DIR}/${checkSegment("namespace", namespace)}/${name}.json`;
};

/** The classic path: `resources/<gr>/namespaces/<ns>/<name>.json` or `resources/<gr>/cluster/<name>.json`. */
export const itemPath = (location: ItemLocation): string =>
  scopedPath(location, `${RESOURCES_DIR}/${groupResourceDir(location.resource, location.group)}`);

/** The preferred version's twin: `resources/<gr>/<ver>-preferredversion/namespaces|cluster/…`. */
export const preferredVersionItemPath = (location: VersionedItemLocation): string =>
  scopedPath(
    location,
    `${RESOURCES_DIR}/${groupResourceDir(location.resource, location.group)}/${versionDir(location.version, true)}`,
  );

/** A non-preferred version's path: `resources/<gr>/<ver>/namespaces|cluster/…`. */
export const versionedItemPath = (location: VersionedItemLocation): string =>
  scopedPath(
    location,
    `${RESOURCES_DIR}/${groupResourceDir(location.resource, location.group)}/${versionDir(location.version, false)}`,
  );

/**
 * The paths Velero writes for one item, in order: classic + `<ver>-preferredversion/` when the item's
 * version is the preferred one, else only `<ver>/` (`item_backupper.go` `backupItemInternal`).
 */
export const itemPaths = (location: VersionedItemLocation & { preferredVersion: string }): string[] =>
  location.version === location.preferredVersion
    ? [itemPath(location), preferredVersionItemPath(location)]
    : [versionedItemPath(location)];

const stray = (reason: string): StrayPath => ({ kind: "stray", reason });

const parseItemFile = (file: string | undefined): string | undefined =>
  file?.endsWith(".json") && file.length > ".json".length ? file.slice(0, -".json".length) : undefined;

/**
 * Classifies a normalised archive path (see {@link normalizeEntryPath}).
 * Never throws: anything unexpected is a `stray` with the reason.
 */
export const parseArchivePath = (path: string): ArchivePathInfo => {
  const segments = path.split("/");
  const [top, groupResource, third] = segments;
  if (top === METADATA_DIR)
    return path === VERSION_FILE_PATH ? { kind: "version" } : { kind: "metadata", path };
  if (top !== RESOURCES_DIR) return stray(`outside "${RESOURCES_DIR}/" and "${METADATA_DIR}/"`);
  if (groupResource === undefined || groupResource === "" || third === undefined) {
    return stray(`not inside a "${RESOURCES_DIR}/<group-resource>/" directory`);
  }

  let version: string | undefined;
  let preferred = true;
  let rest = segments.slice(2);
  if (third !== CLUSTER_DIR && third !== NAMESPACES_DIR) {
    preferred = third.endsWith(PREFERRED_VERSION_SUFFIX);
    version = preferred ? third.slice(0, -PREFERRED_VERSION_SUFFIX.length) : third;
    if (version === "") return stray(`version directory "${third}" names no version`);
    rest = segments.slice(3);
  }

  const { resource, group } = splitGroupResource(groupResource);
  if (resource === "") return stray(`group-resource directory "${groupResource}" names no resource`);
  const base = { kind: "item" as const, groupResource, resource, group, preferred };
  const withVersion = version === undefined ? base : { ...base, version };
  const [scope, a, b] = rest;
  if (scope === CLUSTER_DIR && rest.length === 2) {
    const name = parseItemFile(a);
    return name === undefined
      ? stray(`"${a}" is not a <name>.json file`)
      : { ...withVersion, scope: "cluster", name };
  }
  if (scope === NAMESPACES_DIR && rest.length === 3 && a !== undefined && a !== "") {
    const name = parseItemFile(b);
    return name === undefined
      ? stray(`"${b}" is not a <name>.json file`)
      : { ...withVersion, scope: "namespaced", namespace: a, name };
  }
  return stray(
    `expected ".../${CLUSTER_DIR}/<name>.json" or ".../${NAMESPACES_DIR}/<namespace>/<name>.json"`,
  );
};

/** {@link parseArchivePath} narrowed to items: anything else is a `stray`. */
export const parseItemPath = (path: string): ParsedItemPath | StrayPath => {
  const info = parseArchivePath(path);
  if (info.kind === "item" || info.kind === "stray") return info;
  return stray(`"${path}" is archive metadata, not an item`);
};

const printable = (raw: string): string => JSON.stringify(raw.length > 200 ? `${raw.slice(0, 197)}...` : raw);

/**
 * Checks a raw tar entry name and returns it normalised (no `./`, no empty or `.` segments).
 * `allowRoot` accepts a name that denotes the archive root (`./`, as `tar -C dir .` writes), returning `""`.
 * @throws FormatError for an absolute path, a `..` segment (also `\`-separated), a NUL byte or an empty name.
 */
export const normalizeEntryPath = (raw: string, { allowRoot = false } = {}): string => {
  const hostile = (why: string) =>
    new FormatError(
      `refusing archive entry ${printable(raw)}: ${why}; a Velero archive holds only relative paths under "resources/" and "metadata/" — the archive is corrupt or hostile`,
    );
  if (raw.includes("\0")) throw hostile("its name contains a NUL byte");
  if (raw.startsWith("/") || raw.startsWith("\\") || /^[A-Za-z]:/.test(raw))
    throw hostile("it is an absolute path");
  if (raw.split(/[\\/]/).includes("..")) throw hostile('it contains a ".." segment');
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0 && !(allowRoot && raw !== "")) throw hostile("its name is empty");
  return segments.join("/");
};

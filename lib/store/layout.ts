/**
 * Pure functions from backup/restore names to the keys Velero uses in a backup storage location
 * (`pkg/persistence/object_store_layout.go`). Keys are relative to the store root: the store applies
 * its own bucket prefix. No I/O here.
 */
import { ValidationError } from "../errors.ts";

/** The top-level "directories" Velero allows under a location's prefix; any other makes the location invalid. */
export const TOP_LEVEL_DIRS = ["backups", "restores", "restic", "metadata", "plugins", "kopia"] as const;

/** One of {@link TOP_LEVEL_DIRS}. */
export type TopLevelDir = (typeof TOP_LEVEL_DIRS)[number];

/** Prefix of every backup's directory. */
export const backupsPrefix = "backups/";
/** Prefix of every restore's directory. */
export const restoresPrefix = "restores/";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The problem with `name` as a Kubernetes object name (DNS-1123 subdomain), or undefined when valid. */
export const objectNameProblem = (name: unknown): string | undefined => {
  if (typeof name !== "string") return `must be a string, got ${typeof name}`;
  if (name === "") return "must not be empty";
  if (name.length > 253) return `must be at most 253 characters, got ${name.length}`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return `${JSON.stringify(name)} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (a DNS-1123 subdomain, e.g. "shop-nightly-20261122030000")`;
  }
  return undefined;
};

/** Throws a ValidationError unless `name` is a valid backup/restore name; returns it. */
export const validateObjectName = (name: unknown, kind: "backup" | "restore" = "backup"): string => {
  const problem = objectNameProblem(name);
  if (problem !== undefined) throw new ValidationError([problem], `${kind} name`);
  return name as string;
};

/** Throws a ValidationError unless `namespace` is a valid namespace name (DNS-1123 label, ≤ 63). */
export const validateNamespaceName = (namespace: unknown): string => {
  if (typeof namespace !== "string" || namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    throw new ValidationError(
      [
        `${JSON.stringify(namespace)} must be a DNS-1123 label: at most 63 lower case alphanumeric characters or '-', starting and ending with an alphanumeric character`,
      ],
      "namespace name",
    );
  }
  return namespace;
};

/** Every key a backup can have, as Velero names them. */
export interface BackupKeys {
  /** `backups/<n>/`: the backup's directory (a list prefix). */
  readonly dir: string;
  /** `velero-backup.json`: the Backup CR, pretty JSON, not gzipped; its presence means "complete". */
  readonly metadata: string;
  /** `<n>.tar.gz`: the resources tarball. */
  readonly contents: string;
  /** `<n>-logs.gz`: gzipped log text. */
  readonly logs: string;
  /** `<n>-podvolumebackups.json.gz` */
  readonly podVolumeBackups: string;
  /** `<n>-volumesnapshots.json.gz`: native snapshots. */
  readonly volumeSnapshots: string;
  /** `<n>-itemoperations.json.gz` */
  readonly itemOperations: string;
  /** `<n>-resource-list.json.gz` */
  readonly resourceList: string;
  /** `<n>-results.gz`: `{"errors":…,"warnings":…}` */
  readonly results: string;
  /** `<n>-volumeinfo.json.gz` */
  readonly volumeInfo: string;
  /** `<n>-csi-volumesnapshots.json.gz` (written by Velero 1.4–1.16, still read at restore). */
  readonly csiVolumeSnapshots: string;
  /** `<n>-csi-volumesnapshotcontents.json.gz` (written by Velero 1.4–1.16). */
  readonly csiVolumeSnapshotContents: string;
  /** `<n>-csi-volumesnapshotclasses.json.gz` (written by Velero 1.9–1.17). */
  readonly csiVolumeSnapshotClasses: string;
}

/** The keys of backup `name` (validated as a Kubernetes object name). */
export const backupKeys = (name: string): BackupKeys => {
  validateObjectName(name, "backup");
  const dir = `${backupsPrefix}${name}/`;
  return {
    dir,
    metadata: `${dir}velero-backup.json`,
    contents: `${dir}${name}.tar.gz`,
    logs: `${dir}${name}-logs.gz`,
    podVolumeBackups: `${dir}${name}-podvolumebackups.json.gz`,
    volumeSnapshots: `${dir}${name}-volumesnapshots.json.gz`,
    itemOperations: `${dir}${name}-itemoperations.json.gz`,
    resourceList: `${dir}${name}-resource-list.json.gz`,
    results: `${dir}${name}-results.gz`,
    volumeInfo: `${dir}${name}-volumeinfo.json.gz`,
    csiVolumeSnapshots: `${dir}${name}-csi-volumesnapshots.json.gz`,
    csiVolumeSnapshotContents: `${dir}${name}-csi-volumesnapshotcontents.json.gz`,
    csiVolumeSnapshotClasses: `${dir}${name}-csi-volumesnapshotclasses.json.gz`,
  };
};

/** Every key a restore can have. */
export interface RestoreKeys {
  /** `restores/<r>/`: the restore's directory (a list prefix). */
  readonly dir: string;
  /** `restore-<r>-logs.gz` */
  readonly logs: string;
  /** `restore-<r>-results.gz` */
  readonly results: string;
  /** `restore-<r>-resource-list.json.gz` */
  readonly resourceList: string;
  /** `restore-<r>-itemoperations.json.gz` */
  readonly itemOperations: string;
  /** `<r>-volumeinfo.json.gz`: note, no `restore-` prefix (as Velero 1.14+ writes it). */
  readonly volumeInfo: string;
  /**
   * `restore-<r>.json`: Stowage's record of the Restore (pretty JSON like `velero-backup.json`). Velero keeps
   * no Restore object in the bucket; it ignores this key and removes it with the rest of `restores/<r>/`.
   */
  readonly record: string;
}

/** The keys of restore `name` (validated as a Kubernetes object name). */
export const restoreKeys = (name: string): RestoreKeys => {
  validateObjectName(name, "restore");
  const dir = `${restoresPrefix}${name}/`;
  return {
    dir,
    logs: `${dir}restore-${name}-logs.gz`,
    results: `${dir}restore-${name}-results.gz`,
    resourceList: `${dir}restore-${name}-resource-list.json.gz`,
    itemOperations: `${dir}restore-${name}-itemoperations.json.gz`,
    volumeInfo: `${dir}${name}-volumeinfo.json.gz`,
    record: `${dir}restore-${name}.json`,
  };
};

/** `restic/<namespace>`: the restic repository of a namespace (the repo path, no trailing `/`). */
export const resticRepoPrefix = (namespace: string): string => `restic/${validateNamespaceName(namespace)}`;

/** `kopia/<namespace>`: the kopia repository of a namespace (the repo path, no trailing `/`). */
export const kopiaRepoPrefix = (namespace: string): string => `kopia/${validateNamespaceName(namespace)}`;

/** The backup name of a common prefix `backups/<name>/` (as Velero's sync trims it), or undefined. */
export const backupNameFromPrefix = (prefix: string): string | undefined => {
  if (!prefix.startsWith(backupsPrefix)) return undefined;
  const name = prefix.slice(backupsPrefix.length).replace(/\/$/, "");
  return name === "" || name.includes("/") ? undefined : name;
};

/**
 * The names of top-level prefixes (results of `listCommonPrefixes("", "/")`) that Velero does not allow,
 * in the order given. Velero marks a location holding any of them invalid (Unavailable).
 */
export const unknownTopLevelDirs = (commonPrefixes: readonly string[]): string[] =>
  commonPrefixes
    .map((p) => p.replace(/\/$/, ""))
    .filter((dir) => !(TOP_LEVEL_DIRS as readonly string[]).includes(dir));

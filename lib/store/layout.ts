/**
 * Pure functions from backup/restore names to the keys Velero uses in a backup storage location
 * (`pkg/persistence/object_store_layout.go`). Keys are relative to the store root: the store applies
 * its own bucket prefix. No I/O here.
 */
import { validateNamespaceName, validateObjectName } from "./names.ts";

/** The top-level "directories" Velero allows under a location's prefix; any other makes the location invalid. */
export const TOP_LEVEL_DIRS = ["backups", "restores", "restic", "metadata", "plugins", "kopia"] as const;

/** One of {@link TOP_LEVEL_DIRS}. */
export type TopLevelDir = (typeof TOP_LEVEL_DIRS)[number];

/** Prefix of every backup's directory. */
export const backupsPrefix = "backups/";
/** Prefix of every restore's directory. */
export const restoresPrefix = "restores/";
/** Prefix of every restic repository (one per namespace). */
export const resticPrefix = "restic/";

/**
 * The keys of one backup or restore directory `<prefix><name>/`: `dir` itself and, for each entry of
 * `files` (file names relative to the directory), its full key. `name` is validated first.
 */
const directoryKeys = <F extends string>(
  kind: "backup" | "restore",
  prefix: string,
  name: string,
  files: (name: string) => Record<F, string>,
): { readonly dir: string } & Readonly<Record<F, string>> => {
  validateObjectName(name, kind);
  const dir = `${prefix}${name}/`;
  const keys: Record<string, string> = { dir };
  for (const [file, fileName] of Object.entries<string>(files(name))) keys[file] = `${dir}${fileName}`;
  return keys as { readonly dir: string } & Readonly<Record<F, string>>;
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
  /**
   * `<n>-stowage-claim.json`: Stowage's claim on the name, created (conditionally) before any other key of
   * the backup and kept once it completes. Velero's sync reads only `velero-backup.json` of a listed
   * directory and its deletion removes every key under `backups/<n>/`, so it ignores this one.
   */
  readonly claim: string;
  /**
   * `<n>-stowage-progress.json`: Stowage's record of a run in progress — the native and restic snapshots
   * it has started or taken — written as soon as each exists, so whoever cleans up after a crash finds
   * them. Removed once the backup completes; Velero ignores it like the claim.
   */
  readonly progress: string;
}

/** The keys of backup `name` (validated as a Kubernetes object name). */
export const backupKeys = (name: string): BackupKeys =>
  directoryKeys("backup", backupsPrefix, name, (n) => ({
    metadata: "velero-backup.json",
    contents: `${n}.tar.gz`,
    logs: `${n}-logs.gz`,
    podVolumeBackups: `${n}-podvolumebackups.json.gz`,
    volumeSnapshots: `${n}-volumesnapshots.json.gz`,
    itemOperations: `${n}-itemoperations.json.gz`,
    resourceList: `${n}-resource-list.json.gz`,
    results: `${n}-results.gz`,
    volumeInfo: `${n}-volumeinfo.json.gz`,
    csiVolumeSnapshots: `${n}-csi-volumesnapshots.json.gz`,
    csiVolumeSnapshotContents: `${n}-csi-volumesnapshotcontents.json.gz`,
    csiVolumeSnapshotClasses: `${n}-csi-volumesnapshotclasses.json.gz`,
    claim: `${n}-stowage-claim.json`,
    progress: `${n}-stowage-progress.json`,
  }));

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
  /**
   * `restore-<r>-stowage-claim.json`: Stowage's claim on the name, created (conditionally) before any other
   * key of the restore and kept once it is recorded. Velero ignores it like the record.
   */
  readonly claim: string;
}

/** The keys of restore `name` (validated as a Kubernetes object name). */
export const restoreKeys = (name: string): RestoreKeys =>
  directoryKeys("restore", restoresPrefix, name, (n) => ({
    logs: `restore-${n}-logs.gz`,
    results: `restore-${n}-results.gz`,
    resourceList: `restore-${n}-resource-list.json.gz`,
    itemOperations: `restore-${n}-itemoperations.json.gz`,
    volumeInfo: `${n}-volumeinfo.json.gz`,
    record: `restore-${n}.json`,
    claim: `restore-${n}-stowage-claim.json`,
  }));

/** `restic/<namespace>`: the restic repository of a namespace (the repo path, no trailing `/`). */
export const resticRepoPrefix = (namespace: string): string =>
  `${resticPrefix}${validateNamespaceName(namespace)}`;

/** `restic/<namespace>/config`: present once the restic repository of a namespace is initialised. */
export const resticRepoConfigKey = (namespace: string): string => `${resticRepoPrefix(namespace)}/config`;

/** `kopia/<namespace>`: the kopia repository of a namespace (the repo path, no trailing `/`). */
export const kopiaRepoPrefix = (namespace: string): string => `kopia/${validateNamespaceName(namespace)}`;

/** The name `<name>` of a common prefix `<parent><name>/`, or undefined when it is not one. */
const childName = (parent: string, prefix: string): string | undefined => {
  if (!prefix.startsWith(parent)) return undefined;
  const name = prefix.slice(parent.length).replace(/\/$/, "");
  return name === "" || name.includes("/") ? undefined : name;
};

/** The backup name of a common prefix `backups/<name>/` (as Velero's sync trims it), or undefined. */
export const backupNameFromPrefix = (prefix: string): string | undefined => childName(backupsPrefix, prefix);

/** The restore name of a common prefix `restores/<name>/`, or undefined. */
export const restoreNameFromPrefix = (prefix: string): string | undefined =>
  childName(restoresPrefix, prefix);

/** The namespace of a common prefix `restic/<namespace>/`, or undefined. */
export const resticNamespaceFromPrefix = (prefix: string): string | undefined =>
  childName(resticPrefix, prefix);

/**
 * The names of top-level prefixes (results of `listCommonPrefixes("", "/")`) that Velero does not allow,
 * in the order given. Velero marks a location holding any of them invalid (Unavailable).
 */
export const unknownTopLevelDirs = (commonPrefixes: readonly string[]): string[] =>
  commonPrefixes
    .map((p) => p.replace(/\/$/, ""))
    .filter((dir) => !(TOP_LEVEL_DIRS as readonly string[]).includes(dir));

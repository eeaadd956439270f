/**
 * The catalog: the one owner of what lives in a backup storage location, as Velero's BackupStore
 * (`pkg/persistence`) is. Backups, restores and the restic repositories' place are reached through it;
 * no key is built outside the store. A backup exists (is complete) exactly when its `velero-backup.json`
 * exists, a restore when its record does: writers upload those last, deleters remove them first.
 */
import { StoreError } from "../errors.ts";
import { type BackupCatalog, openBackupCatalog } from "./backup-catalog.ts";
import {
  resticNamespaceFromPrefix,
  resticPrefix,
  resticRepoConfigKey,
  resticRepoPrefix,
  unknownTopLevelDirs,
} from "./layout.ts";
import type { ObjectStore } from "./object-store.ts";
import { openRestoreCatalog, type RestoreCatalog } from "./restore-catalog.ts";

export type {
  BackupCatalog,
  BackupFiles,
  BackupJsonFile,
  BackupProgressRecord,
  IncompleteBackup,
  ProgressPodVolumes,
  ProgressVolumeSnapshot,
} from "./backup-catalog.ts";
export type { ClaimingRun } from "./claims.ts";
export type { RestoreCatalog, RestoreFiles, RestoreJsonFile, RestoreRecord } from "./restore-catalog.ts";

/**
 * `restic/<namespace>`: where the restic repository of `namespace` lives in a store, relative to its
 * root (no trailing `/`). The namespace is validated as a DNS-1123 label.
 */
export const resticRepositoryPrefix = (namespace: string): string => resticRepoPrefix(namespace);

/** Read, write and delete access to the backups and restores in one store. */
export interface Catalog extends BackupCatalog, RestoreCatalog {
  /** The store this catalog reads. */
  readonly store: ObjectStore;
  /**
   * Top-level directories Velero does not allow (it marks such a location Unavailable); empty when the
   * location is valid.
   */
  findUnknownTopLevelDirs(): Promise<string[]>;
  /** Namespaces with a directory under `restic/` (a repository, or what is left of one), ascending. */
  resticRepositoryNamespaces(): Promise<string[]>;
  /** True when the restic repository of `namespace` is initialised (its `config` exists). */
  resticRepositoryExists(namespace: string): Promise<boolean>;
}

/**
 * A catalog over `store`.
 * @param options.concurrency requests in flight when listing or deleting many keys. @default 16
 */
export const openCatalog = (store: ObjectStore, options: { concurrency?: number } = {}): Catalog => {
  const concurrency = options.concurrency ?? 16;
  const backups = openBackupCatalog(store, concurrency);
  const restores = openRestoreCatalog(store, concurrency);
  return {
    store,
    ...backups,
    ...restores,
    async findUnknownTopLevelDirs() {
      return unknownTopLevelDirs(await store.listCommonPrefixes("", "/"));
    },
    async resticRepositoryNamespaces() {
      const prefixes = await store.listCommonPrefixes(resticPrefix, "/");
      return prefixes.map(resticNamespaceFromPrefix).filter((n): n is string => n !== undefined);
    },
    resticRepositoryExists: async (namespace) => store.exists(resticRepoConfigKey(namespace)),
  };
};

/**
 * Throws a StoreError naming up to three unknown top-level directories (Velero's
 * `Backup store contains invalid top-level directories: [...]`) unless the location is valid.
 */
export const assertValidLayout = async (store: ObjectStore): Promise<void> => {
  const invalid = await openCatalog(store).findUnknownTopLevelDirs();
  if (invalid.length === 0) return;
  const shown = invalid.length > 3 ? [...invalid.slice(0, 3), "..."] : invalid;
  throw new StoreError(
    `${store.location} contains ${invalid.length > 3 ? `${invalid.length} ` : ""}invalid top-level directories: [${shown.join(", ")}]; Velero allows only backups, restores, restic, metadata, plugins and kopia there and marks the location Unavailable: move them elsewhere, or use another prefix`,
  );
};

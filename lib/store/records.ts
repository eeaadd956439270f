/**
 * The public read and delete functions over the catalog: backups and restores as records, newest first.
 * Thin wrappers over {@link openCatalog}; they work on what Velero wrote too.
 */
import { openCatalog } from "./catalog.ts";
import { nullIfNotFound, type ObjectStore } from "./object-store.ts";
import type { RestoreRecord } from "./restore-catalog.ts";
import type { Backup, Results } from "./types.ts";

export type { RestoreRecord } from "./restore-catalog.ts";

/** A backup as the store knows it: its metadata and, when present, its results. */
export interface BackupRecord {
  readonly name: string;
  /** The parsed `velero-backup.json`. */
  readonly backup: Backup;
  /** `<name>-results.gz`; `null` for backups from Velero before 1.11. */
  readonly results: Results | null;
}

/** Sorts newest first by `started` (ISO timestamps compare as text). */
const newestFirst = <T>(items: T[], started: (item: T) => string): T[] =>
  items.sort((a, b) => (started(a) < started(b) ? 1 : started(a) > started(b) ? -1 : 0));

/**
 * The complete backups in `store` (those whose `velero-backup.json` exists), with their metadata,
 * newest first. Works on backups Velero wrote too.
 */
export const listBackups = async (store: ObjectStore): Promise<Backup[]> => {
  const catalog = openCatalog(store);
  const names = await catalog.backupNames();
  const backups = await Promise.all(names.map((name) => catalog.getBackupMetadata(name)));
  return newestFirst(backups, (b) => b.status?.startTimestamp ?? b.metadata?.creationTimestamp ?? "");
};

/** One backup's metadata and results; a StoreError `ERR_NOT_FOUND` names the store when it does not exist. */
export const getBackup = async (store: ObjectStore, name: string): Promise<BackupRecord> => {
  const catalog = openCatalog(store);
  const backup = await catalog.getBackupMetadata(name);
  const results = await nullIfNotFound(catalog.getBackupResults(name));
  return { name, backup, results };
};

/** The restores recorded in `store`, newest first; restores Velero wrote (no record) are not listed. */
export const listRestores = async (store: ObjectStore): Promise<RestoreRecord[]> => {
  const catalog = openCatalog(store);
  const records = await Promise.all(
    (await catalog.restoreNames()).map((name) =>
      // a restore Velero wrote (no record), one still running, or an unreadable record: not listed
      catalog.getRestoreRecord(name).catch(() => undefined),
    ),
  );
  const recorded = records.filter((r): r is RestoreRecord => r !== undefined);
  return newestFirst(recorded, (r) => r.status.startTimestamp ?? "");
};

/** One restore's record and results; StoreError `ERR_NOT_FOUND` when it does not exist. */
export const getRestore = async (
  store: ObjectStore,
  name: string,
): Promise<{ restore: RestoreRecord; results: Results | null }> => {
  const catalog = openCatalog(store);
  const restore = await catalog.getRestoreRecord(name);
  const results = await nullIfNotFound(catalog.getRestoreResults(name));
  return { restore, results };
};

/**
 * Deletes restore `name` from the store: its record `restore-<r>.json` first (so it stops being listed
 * at once), then every other key under `restores/<r>/` (log, results, resource list, volume info).
 * Returns the keys removed; empty when the restore did not exist. The cluster is not touched.
 */
export const deleteRestore = (store: ObjectStore, name: string): Promise<{ deleted: string[] }> =>
  openCatalog(store).deleteRestoreKeys(name);

/** The names of the restores recorded in `store` that were made from backup `backupName`. */
export const restoresOfBackup = async (store: ObjectStore, backupName: string): Promise<string[]> =>
  (await listRestores(store)).filter((r) => r.spec.backupName === backupName).map((r) => r.metadata.name);

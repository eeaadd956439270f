import { openCatalog } from "../store/catalog.ts";
import type { ObjectStore } from "../store/object-store.ts";
import type { Backup, Results } from "../store/types.ts";

/** A backup as the store knows it: its metadata and, when present, its results. */
export interface BackupRecord {
  readonly name: string;
  /** The parsed `velero-backup.json`. */
  readonly backup: Backup;
  /** `<name>-results.gz`; `null` for backups from Velero before 1.11. */
  readonly results: Results | null;
}

/**
 * The complete backups in `store` (those whose `velero-backup.json` exists), with their metadata,
 * newest first. Works on backups Velero wrote too.
 */
export const listBackups = async (store: ObjectStore): Promise<Backup[]> => {
  const catalog = openCatalog(store);
  const names = await catalog.listBackups();
  const backups = await Promise.all(names.map((name) => catalog.getBackup(name)));
  const started = (b: Backup) => b.status?.startTimestamp ?? b.metadata?.creationTimestamp ?? "";
  return backups.sort((a, b) => (started(a) < started(b) ? 1 : started(a) > started(b) ? -1 : 0));
};

/** One backup's metadata and results; a StoreError `ERR_NOT_FOUND` names the store when it does not exist. */
export const getBackup = async (store: ObjectStore, name: string): Promise<BackupRecord> => {
  const catalog = openCatalog(store);
  const backup = await catalog.getBackup(name);
  const results = await catalog.getBackupResults(name).catch((error: { code?: string }) => {
    if (error.code === "ERR_NOT_FOUND") return null;
    throw error;
  });
  return { name, backup, results };
};

/**
 * Deletes a backup from the store: `velero-backup.json` first (so it stops being a backup at once),
 * then every other key under `backups/<name>/`. Returns the keys removed.
 */
export const deleteBackup = async (store: ObjectStore, name: string): Promise<{ deleted: string[] }> =>
  openCatalog(store).deleteBackup(name);

/** Backups and restores as the shared store verbs (`get`, `describe`, `delete`) read them. */
import { type Backup, openCatalog } from "../../store/index.ts";
import { getRestore, listBackups, listRestores, type RestoreRecord } from "../../store/records.ts";
import type { StoredKind } from "./store-verbs.ts";

/** The complete backups of a store (those with `velero-backup.json`), Velero's included. */
export const BACKUPS: StoredKind<Backup> = {
  noun: "backup",
  list: listBackups,
  get: (store, name) => openCatalog(store).getBackupMetadata(name),
};

/** The restores recorded in a store (`restores/<name>/restore-<name>.json`). */
export const RESTORES: StoredKind<RestoreRecord> = {
  noun: "restore",
  list: listRestores,
  get: async (store, name) => (await getRestore(store, name)).restore,
};

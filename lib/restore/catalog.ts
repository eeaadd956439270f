import { StoreError } from "../errors.ts";
import { deleteDirectory } from "../store/catalog.ts";
import { decodeJsonGz } from "../store/codec.ts";
import { restoreKeys, restoresPrefix } from "../store/layout.ts";
import { getBuffer, type ObjectStore } from "../store/object-store.ts";
import type { Results } from "../store/types.ts";

/** A restore record as written to `restores/<r>/restore-<r>.json` (Velero's Restore object shape). */
export interface RestoreRecord {
  readonly kind: "Restore";
  readonly apiVersion: "velero.io/v1";
  readonly metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string> };
  readonly spec: Record<string, unknown> & { backupName?: string };
  readonly status: {
    phase?: string;
    startTimestamp?: string;
    completionTimestamp?: string;
    warnings?: number;
    errors?: number;
    progress?: { totalItems?: number; itemsRestored?: number };
  };
}

/** The restores recorded in `store`, newest first. */
export const listRestores = async (store: ObjectStore): Promise<RestoreRecord[]> => {
  const prefixes = await store.listCommonPrefixes(restoresPrefix, "/");
  const records = await Promise.all(
    prefixes.map(async (prefix) => {
      const name = prefix.slice(restoresPrefix.length, -1);
      try {
        return JSON.parse(
          (await getBuffer(store, restoreKeys(name).record)).toString("utf8"),
        ) as RestoreRecord;
      } catch {
        return undefined; // a restore Velero wrote (no record) or one still running
      }
    }),
  );
  return records
    .filter((r): r is RestoreRecord => r !== undefined)
    .sort((a, b) => ((a.status.startTimestamp ?? "") < (b.status.startTimestamp ?? "") ? 1 : -1));
};

/** One restore's record and results; StoreError `ERR_NOT_FOUND` when it does not exist. */
export const getRestore = async (
  store: ObjectStore,
  name: string,
): Promise<{ restore: RestoreRecord; results: Results | null }> => {
  const keys = restoreKeys(name);
  if (!(await store.exists(keys.record))) {
    throw new StoreError(
      `restore "${name}" does not exist in ${store.location}: list the restores (listRestores) to see what exists`,
      {
        code: "ERR_NOT_FOUND",
      },
    );
  }
  const restore = JSON.parse((await getBuffer(store, keys.record)).toString("utf8")) as RestoreRecord;
  const results = (await store.exists(keys.results))
    ? await decodeJsonGz<Results>(await getBuffer(store, keys.results))
    : null;
  return { restore, results };
};

/**
 * Deletes restore `name` from the store: its record `restore-<r>.json` first (so it stops being listed
 * at once), then every other key under `restores/<r>/` (log, results, resource list, volume info).
 * Returns the keys removed; empty when the restore did not exist. The cluster is not touched.
 */
export const deleteRestore = async (store: ObjectStore, name: string): Promise<{ deleted: string[] }> => {
  const keys = restoreKeys(name);
  return deleteDirectory(store, keys.dir, keys.record);
};

/** The names of the restores recorded in `store` that were made from backup `backupName`. */
export const restoresOfBackup = async (store: ObjectStore, backupName: string): Promise<string[]> =>
  (await listRestores(store)).filter((r) => r.spec.backupName === backupName).map((r) => r.metadata.name);

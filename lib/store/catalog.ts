/**
 * The catalog: backups in an object store, read and removed the way Velero does. A backup exists (is
 * complete) exactly when its `velero-backup.json` exists; writers upload it last, deleters remove it first.
 */
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { StoreError } from "../errors.ts";
import { decodeBackupMetadata, decodeJsonGz, decodeTextGz, encodeBackupMetadata } from "./codec.ts";
import {
  type BackupKeys,
  backupKeys,
  backupNameFromPrefix,
  backupsPrefix,
  objectNameProblem,
  unknownTopLevelDirs,
} from "./layout.ts";
import { getBuffer, listAll, type ObjectStore } from "./object-store.ts";
import type { Backup, ResourceList, Results } from "./types.ts";

/** Gzipped-JSON sidecar files of a backup, by their {@link BackupKeys} name. */
export type BackupJsonFile = Exclude<keyof BackupKeys, "dir" | "metadata" | "contents" | "logs">;

/** Read and delete access to the backups in one store. */
export interface Catalog {
  /** The store this catalog reads. */
  readonly store: ObjectStore;
  /** Names of the complete backups (those with `velero-backup.json`), ascending. */
  listBackups(): Promise<string[]>;
  /** True when backup `name` is complete (its `velero-backup.json` exists). */
  backupExists(name: string): Promise<boolean>;
  /** The parsed `velero-backup.json`; `ERR_NOT_FOUND` when the backup does not exist. */
  getBackup(name: string): Promise<Backup>;
  /** `<name>-results.gz` (Velero 1.11+); `ERR_NOT_FOUND` when absent. */
  getBackupResults(name: string): Promise<Results | null>;
  /** `<name>-resource-list.json.gz` (Velero 1.1+); `ERR_NOT_FOUND` when absent. */
  getBackupResourceList(name: string): Promise<ResourceList | null>;
  /** Any gzipped-JSON sidecar (`volumeInfo`, `itemOperations`, `podVolumeBackups`, …); may be `null`. */
  getBackupJson<T = unknown>(name: string, file: BackupJsonFile): Promise<T | null>;
  /** The backup log, gunzipped, as a stream of text. */
  getBackupLogs(name: string): Promise<Readable>;
  /** The whole backup log as text (fine for typical logs; use {@link getBackupLogs} for huge ones). */
  getBackupLogText(name: string): Promise<string>;
  /** The raw `<name>.tar.gz` stream (still gzipped). */
  getBackupContents(name: string): Promise<Readable>;
  /**
   * Writes `velero-backup.json` for `backup.metadata.name`. With `ifNoneMatch`, fails with
   * `ERR_ALREADY_EXISTS` if the backup exists ("backup already exists in object storage").
   */
  putBackupMetadata(backup: Backup, options?: { ifNoneMatch?: boolean }): Promise<void>;
  /**
   * Deletes every key under `backups/<name>/`, `velero-backup.json` first so a half-deleted backup never
   * looks complete. Returns the keys deleted (empty when there was nothing).
   */
  deleteBackup(name: string): Promise<{ deleted: string[] }>;
  /**
   * Top-level directories Velero does not allow (it marks such a location Unavailable); empty when the
   * location is valid.
   */
  findUnknownTopLevelDirs(): Promise<string[]>;
}

/** Runs `task` over `items` with at most `limit` in flight, keeping order. */
const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

/**
 * Deletes every key under `dir`: `marker` first and alone (the key whose presence makes the directory a
 * backup or a restore, so it stops being one at once), then the rest, `concurrency` at a time. Returns
 * the keys removed, the marker first; empty when there was nothing.
 */
export const deleteDirectory = async (
  store: ObjectStore,
  dir: string,
  marker: string,
  concurrency = 16,
): Promise<{ deleted: string[] }> => {
  const all = await listAll(store, dir);
  if (all.length === 0) return { deleted: [] };
  if (all.includes(marker)) await store.delete(marker);
  const rest = all.filter((key) => key !== marker);
  await mapLimit(rest, concurrency, (key) => store.delete(key));
  return { deleted: all.includes(marker) ? [marker, ...rest] : rest };
};

/** A catalog over `store`. */
export const openCatalog = (store: ObjectStore, options: { concurrency?: number } = {}): Catalog => {
  const concurrency = options.concurrency ?? 16;

  const backupNotFound = (name: string, cause?: unknown) =>
    new StoreError(
      `backup "${name}" does not exist in ${store.location} (no ${backupKeys(name).metadata}): list backups to see what exists`,
      { code: "ERR_NOT_FOUND", ...(cause === undefined ? {} : { cause }) },
    );

  const isNotFound = (error: unknown) => error instanceof StoreError && error.code === "ERR_NOT_FOUND";

  const readJson = async <T>(name: string, file: BackupJsonFile): Promise<T | null> => {
    const key = backupKeys(name)[file];
    return decodeJsonGz<T>(await getBuffer(store, key), `${key} in ${store.location}`);
  };

  const catalog: Catalog = {
    store,

    async listBackups() {
      const prefixes = await store.listCommonPrefixes(backupsPrefix, "/");
      // Names that are not valid object names cannot be Velero backups; they are skipped.
      const names = prefixes
        .map(backupNameFromPrefix)
        .filter((n): n is string => n !== undefined && objectNameProblem(n) === undefined);
      const complete = await mapLimit(names, concurrency, (name) => catalog.backupExists(name));
      return names.filter((_, i) => complete[i]);
    },

    backupExists: (name) => store.exists(backupKeys(name).metadata),

    async getBackup(name) {
      const key = backupKeys(name).metadata;
      let raw: Buffer;
      try {
        raw = await getBuffer(store, key);
      } catch (error) {
        throw isNotFound(error) ? backupNotFound(name, error) : error;
      }
      return decodeBackupMetadata(raw, `${key} in ${store.location}`);
    },

    getBackupResults: (name) => readJson<Results>(name, "results"),
    getBackupResourceList: (name) => readJson<ResourceList>(name, "resourceList"),
    getBackupJson: (name, file) => readJson(name, file),

    async getBackupLogs(name) {
      const raw = await store.get(backupKeys(name).logs);
      const gunzip = createGunzip();
      raw.on("error", (error) => gunzip.destroy(error));
      return raw.pipe(gunzip);
    },

    async getBackupLogText(name) {
      const key = backupKeys(name).logs;
      return decodeTextGz(await getBuffer(store, key), `${key} in ${store.location}`);
    },

    getBackupContents: (name) => store.get(backupKeys(name).contents),

    async putBackupMetadata(backup, options = {}) {
      const name = backup.metadata?.name;
      const key = backupKeys(name as string).metadata;
      try {
        await store.put(key, encodeBackupMetadata(backup), {
          contentType: "application/json",
          ...(options.ifNoneMatch ? { ifNoneMatch: true } : {}),
        });
      } catch (error) {
        if (error instanceof StoreError && error.code === "ERR_ALREADY_EXISTS") {
          throw new StoreError(
            `backup "${name}" already exists in object storage (${store.location}): choose another name, or delete the existing backup first`,
            { code: "ERR_ALREADY_EXISTS", cause: error },
          );
        }
        throw error;
      }
    },

    async deleteBackup(name) {
      // velero-backup.json, the marker of completeness, goes first
      const keys = backupKeys(name);
      return deleteDirectory(store, keys.dir, keys.metadata, concurrency);
    },

    async findUnknownTopLevelDirs() {
      return unknownTopLevelDirs(await store.listCommonPrefixes("", "/"));
    },
  };
  return catalog;
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

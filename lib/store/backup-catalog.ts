/**
 * The backups of one store, read, written and removed the way Velero does. A backup exists (is complete)
 * exactly when its `velero-backup.json` exists: writers upload it last, deleters remove it first.
 */
import type { Readable } from "node:stream";
import { StoreError, ValidationError } from "../errors.ts";
import { type ClaimingRun, type ClaimTarget, claimName, discardClaimed } from "./claims.ts";
import { decodeBackupMetadata, encodeBackupMetadata, encodeJsonGz } from "./codec.ts";
import { deleteDirectory, gzippedFiles, mapLimit, putDirectory } from "./directory.ts";
import { type BackupKeys, backupKeys, backupNameFromPrefix, backupsPrefix } from "./layout.ts";
import { objectNameProblem } from "./names.ts";
import { getBuffer, type ObjectBody, type ObjectStore } from "./object-store.ts";
import type { Backup, ResourceList, Results } from "./types.ts";

/** Gzipped-JSON sidecar files of a backup, by their {@link BackupKeys} name. */
export type BackupJsonFile = Exclude<keyof BackupKeys, "dir" | "metadata" | "contents" | "logs" | "claim">;

/** The files {@link BackupCatalog.putBackup} writes before `velero-backup.json`, as values (encoded there). */
export interface BackupFiles {
  /** `<n>-logs.gz`: the log, already gzipped (a run log's `finish()`). */
  readonly logs: Buffer;
  /** `<n>-resource-list.json.gz` */
  readonly resourceList: ResourceList;
  /** `<n>-results.gz` */
  readonly results: Results;
  /** `<n>-volumesnapshots.json.gz` */
  readonly volumeSnapshots: unknown;
  /** `<n>-podvolumebackups.json.gz` */
  readonly podVolumeBackups: unknown;
  /** `<n>-itemoperations.json.gz` */
  readonly itemOperations: unknown;
  /** `<n>-volumeinfo.json.gz` */
  readonly volumeInfo: unknown;
}

/** Read, write and delete access to the backups of one store. */
export interface BackupCatalog {
  /** Names of the complete backups (those with `velero-backup.json`), ascending. */
  backupNames(): Promise<string[]>;
  /** True when backup `name` is complete (its `velero-backup.json` exists). */
  backupExists(name: string): Promise<boolean>;
  /** The parsed `velero-backup.json`; `ERR_NOT_FOUND` when the backup does not exist. */
  getBackupMetadata(name: string): Promise<Backup>;
  /** `<name>-results.gz` (Velero 1.11+); `ERR_NOT_FOUND` when absent. */
  getBackupResults(name: string): Promise<Results | null>;
  /** `<name>-resource-list.json.gz` (Velero 1.1+); `ERR_NOT_FOUND` when absent. */
  getBackupResourceList(name: string): Promise<ResourceList | null>;
  /** Any gzipped-JSON sidecar (`volumeInfo`, `itemOperations`, `podVolumeBackups`, …); may be `null`. */
  getBackupJson<T = unknown>(name: string, file: BackupJsonFile): Promise<T | null>;
  /** The backup log, gunzipped, as a stream of text; `ERR_NOT_FOUND` when there is no log. */
  getBackupLogs(name: string): Promise<Readable>;
  /** The whole backup log as text (fine for typical logs; use {@link getBackupLogs} for huge ones). */
  getBackupLogText(name: string): Promise<string>;
  /** The raw `<name>.tar.gz` stream (still gzipped). */
  getBackupContents(name: string): Promise<Readable>;
  /** Uploads `<name>.tar.gz` (streamed as it is read); `signal` cancels it. */
  putBackupContents(name: string, body: ObjectBody, options?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Completes backup `name`: writes every sidecar file of `files` in parallel, then `velero-backup.json`
   * with `ifNoneMatch` (so it never replaces another backup's), last: its presence means "complete".
   */
  putBackup(
    name: string,
    files: BackupFiles,
    backup: Backup,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /**
   * Writes `velero-backup.json` for `backup.metadata.name`. With `ifNoneMatch`, fails with
   * `ERR_ALREADY_EXISTS` if the backup exists ("backup already exists in object storage").
   */
  putBackupMetadata(backup: Backup, options?: { ifNoneMatch?: boolean }): Promise<void>;
  /**
   * Claims backup name `name` for `run` before it writes anything: creates `<name>-stowage-claim.json`
   * in the backup's directory unless it exists (S3 `If-None-Match: *`, link(2)). Of two runs with one
   * name started at once exactly one succeeds; the other gets StoreError `ERR_ALREADY_EXISTS` naming the
   * store, having written and deleted nothing. A complete backup without a claim (one Velero wrote) is
   * refused the same way. The claim stays once the backup completes; deleting the backup removes it.
   */
  claimBackup(name: string, run: ClaimingRun): Promise<void>;
  /**
   * Removes every file a backup run writes except `velero-backup.json`, ignoring failures: what a run
   * that failed before completing calls to leave nothing half-written. With `run`, only when the name's
   * claim is `run`'s own (nothing otherwise: another run's files are never deleted), and the claim last.
   * @param run the run that claimed the name ({@link claimBackup}); without it, the claim is left alone.
   */
  discardBackupFiles(name: string, run?: ClaimingRun): Promise<void>;
  /**
   * Deletes every key under `backups/<name>/`, `velero-backup.json` first so a half-deleted backup never
   * looks complete. Returns the keys deleted (empty when there was nothing). Snapshots are not touched.
   */
  deleteBackupKeys(name: string): Promise<{ deleted: string[] }>;
}

/** The backups of `store`, `concurrency` requests at a time. */
export const openBackupCatalog = (store: ObjectStore, concurrency: number): BackupCatalog => {
  const backupNotFound = (name: string, cause?: unknown) =>
    new StoreError(
      `backup "${name}" does not exist in ${store.location} (no ${backupKeys(name).metadata}): list backups to see what exists`,
      { code: "ERR_NOT_FOUND", ...(cause === undefined ? {} : { cause }) },
    );

  const isNotFound = (error: unknown) => error instanceof StoreError && error.code === "ERR_NOT_FOUND";

  const claimTarget = (name: string): ClaimTarget => {
    const keys = backupKeys(name);
    return { kind: "backup", name, claim: keys.claim, marker: keys.metadata };
  };

  const gzipped = gzippedFiles(store);
  const readJson = <T>(name: string, file: BackupJsonFile): Promise<T | null> =>
    gzipped.json<T>(backupKeys(name)[file]);

  const writeMetadata = async (
    backup: Backup,
    options: { ifNoneMatch?: boolean; contentType?: string; signal?: AbortSignal },
  ): Promise<void> => {
    const name = backup.metadata?.name;
    const key = backupKeys(name as string).metadata;
    try {
      await store.put(key, encodeBackupMetadata(backup), {
        ...(options.contentType ? { contentType: options.contentType } : {}),
        ...(options.ifNoneMatch ? { ifNoneMatch: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
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
  };

  const catalog: BackupCatalog = {
    async backupNames() {
      const prefixes = await store.listCommonPrefixes(backupsPrefix, "/");
      // Names that are not valid object names cannot be Velero backups; they are skipped.
      const names = prefixes
        .map(backupNameFromPrefix)
        .filter((n): n is string => n !== undefined && objectNameProblem(n) === undefined);
      const complete = await mapLimit(names, concurrency, (name) => catalog.backupExists(name));
      return names.filter((_, i) => complete[i]);
    },

    backupExists: async (name) => store.exists(backupKeys(name).metadata),

    async getBackupMetadata(name) {
      const key = backupKeys(name).metadata;
      let raw: Buffer;
      try {
        raw = await getBuffer(store, key);
      } catch (error) {
        throw isNotFound(error) ? backupNotFound(name, error) : error;
      }
      return decodeBackupMetadata(raw, `${key} in ${store.location}`);
    },

    getBackupResults: async (name) => readJson<Results>(name, "results"),
    getBackupResourceList: async (name) => readJson<ResourceList>(name, "resourceList"),
    getBackupJson: async (name, file) => readJson(name, file),

    getBackupLogs: async (name) => gzipped.textStream(backupKeys(name).logs),
    getBackupLogText: async (name) => gzipped.text(backupKeys(name).logs),

    getBackupContents: async (name) => store.get(backupKeys(name).contents),

    putBackupContents: async (name, body, options = {}) =>
      store.put(backupKeys(name).contents, body, {
        contentType: "application/gzip",
        ...(options.signal ? { signal: options.signal } : {}),
      }),

    async putBackup(name, files, backup, options = {}) {
      const keys = backupKeys(name);
      if (backup.metadata?.name !== name) {
        throw new ValidationError(
          [
            `metadata.name must be "${name}", the backup being written, got ${JSON.stringify(backup.metadata?.name)}`,
          ],
          `putBackup("${name}") backup`,
        );
      }
      await putDirectory(
        store,
        [
          [keys.logs, files.logs],
          [keys.resourceList, encodeJsonGz(files.resourceList)],
          [keys.results, encodeJsonGz(files.results)],
          [keys.volumeSnapshots, encodeJsonGz(files.volumeSnapshots)],
          [keys.podVolumeBackups, encodeJsonGz(files.podVolumeBackups)],
          [keys.itemOperations, encodeJsonGz(files.itemOperations)],
          [keys.volumeInfo, encodeJsonGz(files.volumeInfo)],
        ],
        // as Velero writes it: no content type
        () =>
          writeMetadata(backup, { ifNoneMatch: true, ...(options.signal ? { signal: options.signal } : {}) }),
        options.signal,
      );
    },

    putBackupMetadata: async (backup, options = {}) =>
      writeMetadata(backup, { contentType: "application/json", ifNoneMatch: options.ifNoneMatch === true }),

    claimBackup: async (name, run) => claimName(store, claimTarget(name), run),

    async discardBackupFiles(name, run) {
      const { dir: _dir, metadata: _metadata, claim: _claim, ...files } = backupKeys(name);
      if (run) return discardClaimed(store, claimTarget(name), run, Object.values(files));
      await Promise.all(Object.values(files).map((key) => store.delete(key).catch(() => undefined)));
    },

    async deleteBackupKeys(name) {
      // velero-backup.json, the marker of completeness, goes first
      const keys = backupKeys(name);
      return deleteDirectory(store, keys.dir, keys.metadata, concurrency);
    },
  };
  return catalog;
};

/**
 * The backups of one store, read, written and removed the way Velero does. A backup exists (is complete)
 * exactly when its `velero-backup.json` exists: writers upload it last, deleters remove it first.
 */
import type { Readable } from "node:stream";
import { StoreError, ValidationError } from "../errors.ts";
import { type ClaimingRun, type ClaimTarget, claimName, discardClaimed, readClaim } from "./claims.ts";
import { decodeBackupMetadata, encodeBackupMetadata, encodeJsonGz } from "./codec.ts";
import { gzippedFiles, mapLimit, putDirectory } from "./directory.ts";
import { type BackupKeys, backupKeys, backupNameFromPrefix, backupsPrefix } from "./layout.ts";
import { objectNameProblem } from "./names.ts";
import { getBuffer, listAll, nullIfNotFound, type ObjectBody, type ObjectStore } from "./object-store.ts";
import type { Backup, ResourceList, Results } from "./types.ts";

/** Gzipped-JSON sidecar files of a backup, by their {@link BackupKeys} name. */
export type BackupJsonFile = Exclude<
  keyof BackupKeys,
  "dir" | "metadata" | "contents" | "logs" | "claim" | "progress"
>;

/** A native volume snapshot a run started: `snapshotID` once the provider has named it. */
export interface ProgressVolumeSnapshot {
  /** The volume snapshot location's name (as in the snapshot records' `spec.location`). */
  readonly location: string;
  /** The location's provider, for messages. */
  readonly provider: string;
  readonly persistentVolume: string;
  readonly volumeID: string;
  readonly snapshotID?: string;
}

/** A namespace's restic repository a run backs pod volumes up into, and the snapshots it took there. */
export interface ProgressPodVolumes {
  readonly namespace: string;
  /** The repository's address (`repoIdentifier`), for messages. */
  readonly repository: string;
  readonly snapshotIDs: readonly string[];
}

/**
 * `<n>-stowage-progress.json`: what a backup run has made that costs space or money, written as soon as
 * each thing exists (a native snapshot as soon as the provider names it, before the run waits for it;
 * a repository before restic starts in it), so that after a crash (`kill -9`) deletion and GC find and
 * remove it. Refreshed (`heartbeatTimestamp`) while the run is alive.
 */
export interface BackupProgressRecord {
  readonly kind: "StowageBackupProgress";
  readonly name: string;
  /** The run's uid (its claim's; the Backup's `metadata.uid`; restic snapshots carry it as `backup-uid`). */
  readonly uid: string;
  readonly startTimestamp: string;
  /** The last time the run was known alive. */
  readonly heartbeatTimestamp: string;
  /** Set when the run failed and could not remove everything listed here itself. */
  readonly failure?: string;
  readonly volumeSnapshots: readonly ProgressVolumeSnapshot[];
  readonly podVolumes: readonly ProgressPodVolumes[];
}

/** A backup directory that holds Stowage's claim or progress record but no `velero-backup.json`. */
export interface IncompleteBackup {
  readonly name: string;
  /** The claim's run uid and start, when the claim is there and readable. */
  readonly claim?: { readonly uid: string; readonly startTimestamp: string };
  /** The progress record, when there is one. */
  readonly progress: BackupProgressRecord | null;
}

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

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

/** The progress record in `raw`, or undefined when it is not one. */
const parseProgress = (raw: Buffer): BackupProgressRecord | undefined => {
  let body: Partial<BackupProgressRecord>;
  try {
    body = JSON.parse(raw.toString("utf8")) as Partial<BackupProgressRecord>;
  } catch {
    return undefined;
  }
  if (body?.kind !== "StowageBackupProgress" || typeof body.uid !== "string") return undefined;
  const snapshots = Array.isArray(body.volumeSnapshots) ? body.volumeSnapshots : [];
  const podVolumes = Array.isArray(body.podVolumes) ? body.podVolumes : [];
  if (!snapshots.every((s) => typeof s?.location === "string" && typeof s?.volumeID === "string"))
    return undefined;
  if (!podVolumes.every((p) => typeof p?.namespace === "string" && isStringArray(p?.snapshotIDs)))
    return undefined;
  return { ...body, volumeSnapshots: snapshots, podVolumes } as BackupProgressRecord;
};

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
   * @param run the run that claimed the name ({@link claimBackup}); without it, the claim and the
   *   progress record are left alone (a failed run that keeps them to list what it could not remove).
   */
  discardBackupFiles(name: string, run?: ClaimingRun): Promise<void>;
  /**
   * Deletes every key under `backups/<name>/`, `velero-backup.json` first so a half-deleted backup never
   * looks complete, and the progress record and the claim last, so a deletion that stops half-way still
   * leaves a run GC finds. Returns the keys deleted (empty when there was nothing). Snapshots are not
   * touched.
   */
  deleteBackupKeys(name: string): Promise<{ deleted: string[] }>;
  /** Writes (replaces) `<name>-stowage-progress.json`. */
  putBackupProgress(name: string, record: BackupProgressRecord): Promise<void>;
  /** Reads `<name>-stowage-progress.json`: `null` when absent; a StoreError naming it when unreadable. */
  getBackupProgress(name: string): Promise<BackupProgressRecord | null>;
  /** Deletes `<name>-stowage-progress.json` (absent is fine). */
  deleteBackupProgress(name: string): Promise<void>;
  /**
   * Backup directories with Stowage's claim or progress record and no `velero-backup.json`: runs still
   * going, and runs that crashed or failed and left something behind. Ascending by name.
   */
  incompleteBackups(): Promise<IncompleteBackup[]>;
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
      const { progress: _progress, ...rest } = files;
      await Promise.all(Object.values(rest).map((key) => store.delete(key).catch(() => undefined)));
    },

    async deleteBackupKeys(name) {
      // velero-backup.json, the marker of completeness, goes first; the run's own records last, so a
      // deletion that stops half-way leaves a directory GC still finds as an incomplete run
      const keys = backupKeys(name);
      const all = await listAll(store, keys.dir);
      const first = all.filter((key) => key === keys.metadata);
      const last = [keys.progress, keys.claim].filter((key) => all.includes(key));
      const rest = all.filter((key) => !first.includes(key) && !last.includes(key));
      for (const key of first) await store.delete(key);
      await mapLimit(rest, concurrency, (key) => store.delete(key));
      for (const key of last) await store.delete(key);
      return { deleted: [...first, ...rest, ...last] };
    },

    putBackupProgress: async (name, record) =>
      store.put(backupKeys(name).progress, `${JSON.stringify(record, null, 2)}\n`, {
        contentType: "application/json",
      }),

    async getBackupProgress(name) {
      const key = backupKeys(name).progress;
      const raw = await nullIfNotFound(getBuffer(store, key));
      if (raw === null) return null;
      const record = parseProgress(raw);
      if (!record) {
        throw new StoreError(
          `${key} in ${store.location} is not a Stowage progress record: delete the backup's directory by hand after checking what it lists`,
        );
      }
      return record;
    },

    deleteBackupProgress: async (name) => store.delete(backupKeys(name).progress),

    async incompleteBackups() {
      const prefixes = await store.listCommonPrefixes(backupsPrefix, "/");
      const names = prefixes
        .map(backupNameFromPrefix)
        .filter((n): n is string => n !== undefined && objectNameProblem(n) === undefined);
      const found = await mapLimit(
        names,
        concurrency,
        async (name): Promise<IncompleteBackup | undefined> => {
          const keys = backupKeys(name);
          if (await store.exists(keys.metadata)) return undefined;
          const [claim, progress] = await Promise.all([
            readClaim(store, keys.claim),
            catalog.getBackupProgress(name).catch(() => null),
          ]);
          if (!claim && !progress && !(await store.exists(keys.claim))) return undefined;
          return {
            name,
            ...(claim ? { claim: { uid: claim.uid, startTimestamp: claim.startTimestamp } } : {}),
            progress,
          };
        },
      );
      return found.filter((b): b is IncompleteBackup => b !== undefined);
    },
  };
  return catalog;
};

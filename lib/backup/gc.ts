/**
 * TTL garbage collection: backups whose `status.expiration` has passed are deleted with every key they
 * have, as Velero's GC controller does (without its DeleteBackupRequest indirection). A backup still in
 * progress is never touched: ours have no `velero-backup.json` until they are complete, and a Velero
 * backup whose metadata shows a non-final phase is skipped.
 *
 * Runs that never completed — killed (`kill -9`, a lost node) or failed without removing everything —
 * are collected too: a backup directory holding Stowage's claim (or progress record) and no
 * `velero-backup.json`, whose run has shown no sign of life (its start, or its progress record's
 * heartbeat, which a live run refreshes every 5 minutes) for `abandonedAfterMs`, is deleted with the
 * native and restic snapshots its progress record lists.
 */
import { ValidationError } from "../errors.ts";
import type { PodVolumeDeleteOptions } from "../podvolume/forget.ts";
import type { VolumeSnapshotLocation } from "../snapshot/types.ts";
import { openCatalog } from "../store/catalog.ts";
import type { ObjectStore } from "../store/object-store.ts";
import type { Backup } from "../store/types.ts";
import { deleteBackup } from "./delete.ts";

/** Default of {@link GarbageCollectionOptions.abandonedAfterMs}: 24 hours. */
export const DEFAULT_ABANDONED_AFTER_MS = 24 * 60 * 60_000;

/** Phases after which a backup no longer changes; only these are collected. */
const FINAL_PHASES = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);

/** Options of {@link collectGarbage}. */
export interface GarbageCollectionOptions {
  /** The store to clean. */
  readonly store: ObjectStore;
  /** Only report what would be deleted. @default false */
  readonly dryRun?: boolean;
  /** Clock, for tests. @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Locations of the backups' native volume snapshots (deleted with their backups). A backup with
   * snapshots whose location is missing is not deleted: it is reported in `errors`, as Velero does.
   * @default []
   */
  readonly volumeSnapshotLocations?: readonly VolumeSnapshotLocation[];
  /**
   * How to forget the backups' restic pod volume snapshots (see `deleteBackup`). A backup with pod
   * volume snapshots is not deleted without it: it is reported in `errors`. `false` leaves them.
   * @default undefined
   */
  readonly podVolumes?: PodVolumeDeleteOptions | false;
  /** Called after each backup is deleted (or, in a dry run, found expired). @default no callback */
  readonly onDeleted?: (backup: ExpiredBackup) => void;
  /**
   * How long a run that has not completed may show no sign of life (its start, its progress record's
   * heartbeat) before GC deletes what it left, snapshots included. Keep it well above the runs'
   * `heartbeatMs` (and the clock skew between machines).
   * @default 86400000 (24 h)
   */
  readonly abandonedAfterMs?: number;
}

/** A run that never completed, which GC found abandoned. */
export interface AbandonedRun {
  readonly name: string;
  /** The run's uid (from its claim or progress record); `""` when neither could be read. */
  readonly uid: string;
  /** The last sign of life: the heartbeat, else the start. */
  readonly lastSeen: string;
  /** Keys removed (empty in a dry run). */
  readonly keys: readonly string[];
  /** Native snapshot IDs deleted and restic snapshot IDs forgotten. */
  readonly snapshots: readonly string[];
}

/** A backup GC found expired. */
export interface ExpiredBackup {
  readonly name: string;
  readonly expiration: string;
  /** Keys removed (empty in a dry run). */
  readonly keys: readonly string[];
}

/** What a GC pass did. Failures to delete one backup are data, not an exception. */
export interface GarbageCollectionResult {
  readonly deleted: readonly ExpiredBackup[];
  /** Runs that never completed and were abandoned, removed with what they made. */
  readonly abandoned: readonly AbandonedRun[];
  /** Backups not yet expired (or without an expiration). */
  readonly kept: number;
  /** Expired backups left alone, with the reason (a non-final phase). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  readonly errors: readonly { readonly name: string; readonly error: string }[];
}

const expirationOf = (backup: Backup): Date | undefined => {
  const text = backup.status?.expiration;
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
};

/**
 * One GC pass over `store`: deletes every complete backup whose expiration is in the past. Scripts call
 * it directly; the runner runs it periodically on the leader.
 *
 * @example
 * const { deleted } = await collectGarbage({ store: s3Store({ bucket: "backups" }) });
 */
export const collectGarbage = async (options: GarbageCollectionOptions): Promise<GarbageCollectionResult> => {
  const now = (options.now ?? (() => new Date()))();
  const deleted: ExpiredBackup[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const errors: { name: string; error: string }[] = [];
  let kept = 0;
  const abandonedAfterMs = options.abandonedAfterMs ?? DEFAULT_ABANDONED_AFTER_MS;
  if (typeof abandonedAfterMs !== "number" || !(abandonedAfterMs >= 0)) {
    throw new ValidationError(
      [`abandonedAfterMs must be a number of milliseconds >= 0, got ${String(abandonedAfterMs)}`],
      "collectGarbage options",
    );
  }
  const catalog = openCatalog(options.store);
  const deleteOptions = {
    volumeSnapshotLocations: options.volumeSnapshotLocations ?? [],
    ...(options.podVolumes === undefined ? {} : { podVolumes: options.podVolumes }),
  };
  for (const name of await catalog.backupNames()) {
    let backup: Backup;
    try {
      backup = await catalog.getBackupMetadata(name);
    } catch (error) {
      errors.push({ name, error: `cannot read its metadata: ${(error as Error).message}` });
      continue;
    }
    const expiration = expirationOf(backup);
    if (!expiration || expiration.getTime() > now.getTime()) {
      kept++;
      continue;
    }
    const phase = backup.status?.phase ?? "";
    if (!FINAL_PHASES.has(phase)) {
      skipped.push({
        name,
        reason: `phase ${JSON.stringify(phase)} is not final: the backup may still be written`,
      });
      continue;
    }
    try {
      const keys = options.dryRun ? [] : (await deleteBackup(options.store, name, deleteOptions)).deleted;
      const entry = { name, expiration: backup.status?.expiration ?? "", keys };
      deleted.push(entry);
      options.onDeleted?.(entry);
    } catch (error) {
      errors.push({ name, error: (error as Error).message });
    }
  }
  const abandoned: AbandonedRun[] = [];
  for (const run of await catalog.incompleteBackups()) {
    const signs = [run.claim?.startTimestamp, run.progress?.startTimestamp, run.progress?.heartbeatTimestamp]
      .map((t) => (t ? Date.parse(t) : Number.NaN))
      .filter((t) => !Number.isNaN(t));
    // no readable time: the directory is kept and reported rather than guessed at
    if (signs.length === 0) {
      skipped.push({
        name: run.name,
        reason: "an unfinished run whose claim and progress record give no time",
      });
      continue;
    }
    const lastSeen = Math.max(...signs);
    if (now.getTime() - lastSeen < abandonedAfterMs) continue;
    const entry = {
      name: run.name,
      uid: run.claim?.uid ?? run.progress?.uid ?? "",
      lastSeen: new Date(lastSeen).toISOString(),
    };
    try {
      const done = options.dryRun ? undefined : await deleteBackup(options.store, run.name, deleteOptions);
      abandoned.push({
        ...entry,
        keys: done?.deleted ?? [],
        snapshots: done ? [...done.deletedSnapshots, ...done.forgottenPodVolumeSnapshots] : [],
      });
    } catch (error) {
      errors.push({ name: run.name, error: (error as Error).message });
    }
  }
  return { deleted, abandoned, kept, skipped, errors };
};

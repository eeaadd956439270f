/**
 * Deleting a backup everywhere it lives: its native volume snapshots, its restic snapshots, its keys and
 * the restores made from it. The store's part goes through the catalog; snapshots through their owners.
 */

import { ConfigError, ValidationError } from "../errors.ts";
import { type PodVolumeDeleteOptions, preparePodVolumeDeletion } from "../podvolume/forget.ts";
import { deleteBackupSnapshots } from "../snapshot/delete.ts";
import { checkSnapshotLocations, openSnapshotLocations } from "../snapshot/locations.ts";
import type { VolumeSnapshotLocation } from "../snapshot/types.ts";
import type { BackupProgressRecord } from "../store/backup-catalog.ts";
import { openCatalog } from "../store/catalog.ts";
import type { ObjectStore } from "../store/object-store.ts";
import { restoresOfBackup } from "../store/records.ts";

/** Options of {@link deleteBackup}. */
export interface DeleteBackupOptions {
  /**
   * The volume snapshot locations of the backup's native snapshots, found by name (each record's
   * `spec.location`). Required when the backup has snapshots: they are deleted first.
   * @default []
   */
  readonly volumeSnapshotLocations?: readonly VolumeSnapshotLocation[];
  /**
   * How to forget the backup's restic pod volume snapshots (`restic forget` in each namespace's
   * repository, run on this machine). Required when the backup has any; `false` deletes the backup and
   * leaves them in their repositories.
   * @default undefined (a backup with pod volume snapshots is refused, nothing deleted)
   */
  readonly podVolumes?: PodVolumeDeleteOptions | false;
}

/** What {@link deleteBackup} removed. */
export interface DeletedBackup {
  /** The store keys removed (empty when the backup did not exist). */
  readonly deleted: string[];
  /** Provider IDs of the native volume snapshots deleted. */
  readonly deletedSnapshots: string[];
  /** restic snapshot IDs forgotten (those already gone are not listed). */
  readonly forgottenPodVolumeSnapshots: string[];
  /** Restores made from the backup whose records were removed with it (Stowage's records only). */
  readonly deletedRestores: string[];
}

/** How long before its run's start a snapshot found by its tags may have started (clock skew): 10 min. */
const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * The snapshots a run requested but died before recording (the provider had not yet answered with the
 * ID, or the record was not yet written): found through the provider by the volume and the tags every
 * snapshot of the backup carries, started no earlier than the run. Providers that report IDs before
 * creating (no `findSnapshots`) leave none unrecorded.
 */
const unrecordedSnapshots = async (
  name: string,
  progress: BackupProgressRecord,
  locations: readonly VolumeSnapshotLocation[],
): Promise<{ location: string; persistentVolume: string; id: string }[]> => {
  const pending = progress.volumeSnapshots.filter((s) => s.snapshotID === undefined);
  if (pending.length === 0) return [];
  const problems: string[] = [];
  const resolved = checkSnapshotLocations(locations, problems);
  if (problems.length > 0) throw new ValidationError(problems, `deleteBackup("${name}") options`);
  const needed = [...new Set(pending.map((s) => s.location))];
  const missing = needed.filter((location) => !resolved.some((l) => l.name === location));
  if (missing.length > 0) {
    throw new ConfigError(
      `backup "${name}" did not finish and was taking ${pending.length} volume snapshot(s) in location(s) [${missing.join(", ")}] that were not given: pass volumeSnapshotLocations with those names so those snapshots are found and deleted too; nothing was deleted`,
    );
  }
  const since = Date.parse(progress.startTimestamp) - CLOCK_SKEW_MS;
  const opened = await openSnapshotLocations(resolved.filter((l) => needed.includes(l.name)));
  try {
    const found: { location: string; persistentVolume: string; id: string }[] = [];
    for (const s of pending) {
      const snapshotter = opened.get(s.location)?.snapshotter;
      if (!snapshotter?.findSnapshots) continue;
      const tags = { "velero.io/backup": name, "velero.io/pv": s.persistentVolume };
      for (const snapshot of await snapshotter.findSnapshots(s.volumeID, tags)) {
        if (snapshot.started && snapshot.started.getTime() < since) continue;
        found.push({ location: s.location, persistentVolume: s.persistentVolume, id: snapshot.id });
      }
    }
    return found;
  } finally {
    await opened.close();
  }
};

/**
 * Deletes a backup: its native volume snapshots first (a snapshot already gone is fine), then its restic
 * pod volume snapshots, then, from the store, `velero-backup.json` (so it stops being a backup at once)
 * and every other key under `backups/<name>/`, the claim last. It deletes what a run that never finished
 * left too (killed, or failed without removing everything): the snapshots its progress record lists —
 * with the restic snapshots tagged with its uid in the repositories it wrote to — and its keys. As in Velero, when a snapshot cannot be deleted — or
 * its location, or `podVolumes`, was not given — nothing is removed from the store and the error says
 * which snapshots remain; missing options are found before anything is deleted. Once the backup is
 * gone, so are the restores made from it (`restores/<r>/`), as Velero's deletion removes them; restores
 * Velero wrote carry no record naming their backup and stay.
 */
export const deleteBackup = async (
  store: ObjectStore,
  name: string,
  options: DeleteBackupOptions = {},
): Promise<DeletedBackup> => {
  const catalog = openCatalog(store);
  // a run that did not finish (crashed, or failed and could not clean up): its progress record lists
  // the snapshots it made, recorded or not in the files a complete backup has
  const progress = await catalog.getBackupProgress(name);
  const forgetPodVolumes = await preparePodVolumeDeletion(store, name, options.podVolumes);
  const deletedSnapshots = await deleteBackupSnapshots(catalog, name, options.volumeSnapshotLocations ?? [], [
    ...(progress?.volumeSnapshots ?? []).flatMap((s) =>
      s.snapshotID ? [{ location: s.location, persistentVolume: s.persistentVolume, id: s.snapshotID }] : [],
    ),
    ...(progress ? await unrecordedSnapshots(name, progress, options.volumeSnapshotLocations ?? []) : []),
  ]);
  const forgottenPodVolumeSnapshots = await forgetPodVolumes();
  const { deleted } = await catalog.deleteBackupKeys(name);
  const deletedRestores = deleted.length > 0 ? await restoresOfBackup(store, name) : [];
  for (const restore of deletedRestores) await catalog.deleteRestoreKeys(restore);
  return { deleted, deletedSnapshots, forgottenPodVolumeSnapshots, deletedRestores };
};

/**
 * Native volume snapshots during a backup (Velero's `takePVSnapshot`): each PersistentVolume about to be
 * written is offered to the backup's volume snapshot locations in order; the first whose snapshotter
 * knows the volume snapshots it, waiting until the snapshot is complete. A failure is logged as an error
 * naming the PV (the backup ends PartiallyFailed) and, as in Velero, that PV is not written.
 */
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { messageOf } from "../snapshot/errors.ts";
import { findSnapshotter, type SnapshotLocations } from "../snapshot/locations.ts";
import { volumeZone } from "../snapshot/pv.ts";
import { nativeVolumeInfo, newSnapshotRecord, skippedVolumeInfo, snapshotTags } from "../snapshot/records.ts";
import type { BackupVolumeInfo, NativeSnapshotRecord, SnapshotProgress } from "../snapshot/types.ts";
import type { ProgressVolumeSnapshot } from "../store/backup-catalog.ts";

/** The snapshot side of one backup. */
export interface BackupVolumeSnapshots {
  /**
   * Snapshots `pv` when a location handles it. Resolves to `false` when the PV must not be written
   * (its snapshot failed); never throws for a provider failure.
   */
  snapshotPv(pv: KubeObject): Promise<boolean>;
  /** Snapshots attempted and completed (`status.volumeSnapshotsAttempted/Completed`). */
  readonly attempted: number;
  readonly completed: number;
  /** `<name>-volumesnapshots.json.gz`: `null` when no snapshot was attempted, as Velero writes. */
  records(): NativeSnapshotRecord[] | null;
  /** `<name>-volumeinfo.json.gz` entries: skipped PVs first (by name), then snapshotted ones. */
  volumeInfo(): BackupVolumeInfo[];
  /**
   * Deletes the snapshots this backup took, for a backup that failed and is being removed (nothing
   * would know about them any more). Best effort: failures are returned, not thrown.
   */
  discard(): Promise<string[]>;
}

/** Everything {@link createBackupVolumeSnapshots} needs from the backup. */
export interface BackupVolumeSnapshotsDeps {
  readonly backupName: string;
  readonly backupUID: string;
  /** The backup's labels: every snapshot is tagged with them. */
  readonly labels: Readonly<Record<string, string>>;
  /** The opened locations; `undefined` or none: nothing is snapshotted. */
  readonly locations: SnapshotLocations | undefined;
  /** Velero's `spec.snapshotVolumes`: only `false` turns snapshots off. */
  readonly snapshotVolumes: boolean | undefined;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly log: RunLog;
  readonly onProgress: (pvName: string, progress: SnapshotProgress) => void;
  /**
   * Records a snapshot about to be requested (no `snapshotID` yet), and again the moment its provider
   * names it, before the wait for it (the run's progress record): nothing goes on until each resolves.
   * @default nothing recorded
   */
  readonly onSnapshot?: (snapshot: ProgressVolumeSnapshot) => Promise<void>;
}

export const createBackupVolumeSnapshots = (deps: BackupVolumeSnapshotsDeps): BackupVolumeSnapshots => {
  const { log, locations } = deps;
  const active = deps.snapshotVolumes !== false && locations !== undefined && locations.all.length > 0;
  const records: NativeSnapshotRecord[] = [];
  /** Every snapshot a provider named, with its location: what `discard` deletes (failed ones too). */
  const created: { location: string; pvName: string; id: string }[] = [];
  const native: BackupVolumeInfo[] = [];
  const skipped = new Map<string, BackupVolumeInfo>();
  let completed = 0;

  const snapshotPv = async (pv: KubeObject): Promise<boolean> => {
    if (!active) return true;
    const pvName = pv.metadata?.name ?? "";
    const fields = { resource: "persistentvolumes", name: pvName, persistentVolume: pvName };
    log.info("Executing takePVSnapshot", fields);
    const errors: string[] = [];
    const found = findSnapshotter(locations, pv, errors);
    for (const error of errors) log.error(error, fields);
    if (!found) {
      log.info(
        "Persistent volume is not a supported volume type for Velero-native volumeSnapshotter snapshot, skipping.",
        fields,
      );
      skipped.set(pvName, skippedVolumeInfo(pv, "no applicable volumesnapshotter found"));
      return true;
    }
    const { opened, volumeId } = found;
    const { snapshotter, location } = opened;
    const at = { ...fields, volumeSnapshotLocation: location.name, volumeID: volumeId };
    const volumeAZ = volumeZone(pv);
    let unrecorded = false;
    let info: { type: string; iops?: number | undefined };
    try {
      log.info("Getting volume information", at);
      info = await snapshotter.getVolumeInfo(volumeId, volumeAZ);
    } catch (error) {
      log.error("error getting volume info", { ...at, error: messageOf(error) });
      return false;
    }
    const record = newSnapshotRecord({
      backupName: deps.backupName,
      backupUID: deps.backupUID,
      location: location.name,
      pvName,
      volumeId,
      volumeType: info.type,
      volumeAZ,
      iops: info.iops,
    });
    records.push(record);
    log.info("Snapshotting persistent volume", at);
    const pending = {
      location: location.name,
      provider: location.provider,
      persistentVolume: pvName,
      volumeID: volumeId,
    };
    const recording = async (snapshot: ProgressVolumeSnapshot) => {
      try {
        await deps.onSnapshot?.(snapshot);
      } catch (error) {
        unrecorded = true;
        throw error;
      }
    };
    try {
      await recording(pending);
      const snapshotId = await snapshotter.createSnapshot(
        volumeId,
        volumeAZ,
        snapshotTags(deps.labels, deps.backupName, pvName),
        {
          signal: deps.signal,
          timeoutMs: deps.timeoutMs,
          onCreated: async (snapshotId) => {
            created.push({ location: location.name, pvName, id: snapshotId });
            await recording({ ...pending, snapshotID: snapshotId });
          },
          onProgress: (progress) => {
            log.info(`Snapshot in progress: ${progress.state}`, at);
            deps.onProgress(pvName, progress);
          },
        },
      );
      record.status = { providerSnapshotID: snapshotId, phase: "Completed" };
      completed++;
      log.info(`Snapshot ${snapshotId} completed`, { ...at, providerSnapshotID: snapshotId });
    } catch (error) {
      // a snapshot that could not be recorded fails the backup, which deletes it again
      if (deps.signal.aborted || unrecorded) throw error;
      record.status = { phase: "Failed" };
      log.error("error taking snapshot of volume", { ...at, error: messageOf(error) });
    }
    native.push(nativeVolumeInfo(pv, record));
    return record.status.phase === "Completed";
  };

  return {
    snapshotPv,
    get attempted() {
      return records.length;
    },
    get completed() {
      return completed;
    },
    records: () => (records.length > 0 ? structuredClone(records) : null),
    async discard() {
      const failures: string[] = [];
      const ids = new Set(created.map((c) => c.id));
      const taken = [
        ...created,
        // a provider that does not call onCreated: the IDs it returned
        ...records
          .filter((r) => r.status.providerSnapshotID && !ids.has(r.status.providerSnapshotID))
          .map((r) => ({
            location: r.spec.location,
            pvName: r.spec.persistentVolumeName,
            id: r.status.providerSnapshotID ?? "",
          })),
      ];
      for (const { location, pvName, id } of taken) {
        const opened = locations?.get(location);
        if (!opened) continue;
        await opened.snapshotter.deleteSnapshot(id, { timeoutMs: deps.timeoutMs }).catch((error: unknown) => {
          failures.push(`snapshot ${id} of PV ${pvName}: ${messageOf(error)}`);
        });
      }
      return failures;
    },
    volumeInfo: () => [
      ...[...skipped.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v),
      ...native,
    ],
  };
};

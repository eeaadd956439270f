/**
 * The records Velero keeps about native snapshots, built field by field in Velero's order:
 * `volume.Snapshot` (`-volumesnapshots.json.gz`), `BackupVolumeInfo` (`-volumeinfo.json.gz`) and
 * `RestoreVolumeInfo` (`<restore>-volumeinfo.json.gz`).
 */
import type { KubeObject } from "../kube/types.ts";
import { claimOf, reclaimPolicyOf } from "./pv.ts";
import type {
  BackupVolumeInfo,
  NativeSnapshotInfo,
  NativeSnapshotRecord,
  RestoreVolumeInfo,
  SnapshotPhase,
} from "./types.ts";

/** The tags every snapshot gets: the backup's labels, `velero.io/backup` and `velero.io/pv` (Velero's core). */
export const snapshotTags = (
  backupLabels: Readonly<Record<string, string>>,
  backupName: string,
  pvName: string,
): Record<string, string> => ({ ...backupLabels, "velero.io/backup": backupName, "velero.io/pv": pvName });

/** A new record for a snapshot about to be taken (phase `New`). */
export const newSnapshotRecord = (init: {
  backupName: string;
  backupUID: string;
  location: string;
  pvName: string;
  volumeId: string;
  volumeType: string;
  volumeAZ: string;
  iops: number | undefined;
}): NativeSnapshotRecord => ({
  spec: {
    backupName: init.backupName,
    backupUID: init.backupUID,
    location: init.location,
    persistentVolumeName: init.pvName,
    providerVolumeID: init.volumeId,
    volumeType: init.volumeType,
    ...(init.volumeAZ ? { volumeAZ: init.volumeAZ } : {}),
    ...(init.iops === undefined ? {} : { volumeIOPS: init.iops }),
  },
  status: { phase: "New" },
});

/** `nativeSnapshotInfo` from a snapshot record (`newNativeSnapshotInfo`). */
export const nativeSnapshotInfo = (
  record: NativeSnapshotRecord,
  phase: SnapshotPhase | "" = record.status.phase ?? "",
): NativeSnapshotInfo => ({
  snapshotHandle: record.status.providerSnapshotID ?? "",
  volumeType: record.spec.volumeType,
  volumeAZ: record.spec.volumeAZ ?? "",
  iops: String(record.spec.volumeIOPS ?? 0),
  Phase: phase,
});

const pvcFields = (pv: KubeObject) => {
  const claim = claimOf(pv);
  return claim ? { pvcName: claim.name, ...(claim.namespace ? { pvcNamespace: claim.namespace } : {}) } : {};
};

const pvInfo = (pv: KubeObject) => ({
  reclaimPolicy: reclaimPolicyOf(pv),
  labels: pv.metadata?.labels ?? null,
});

/** The volume-info entry of a PV with a native snapshot (result `succeeded` only when Completed). */
export const nativeVolumeInfo = (pv: KubeObject, record: NativeSnapshotRecord): BackupVolumeInfo => ({
  ...pvcFields(pv),
  pvName: pv.metadata?.name ?? "",
  backupMethod: "NativeSnapshot",
  snapshotDataMoved: false,
  preserveLocalSnapshot: false,
  skipped: false,
  result: record.status.phase === "Completed" ? "succeeded" : "failed",
  nativeSnapshotInfo: nativeSnapshotInfo(record),
  pvInfo: pvInfo(pv),
});

/** The volume-info entry of a PV no snapshot was taken of; `reason` as Velero words it. */
export const skippedVolumeInfo = (pv: KubeObject, reason: string): BackupVolumeInfo => ({
  ...pvcFields(pv),
  pvName: pv.metadata?.name ?? "",
  snapshotDataMoved: false,
  preserveLocalSnapshot: false,
  skipped: true,
  skippedReason: `volumeSnapshot: ${reason};`,
  pvInfo: pvInfo(pv),
});

/** The restore volume-info entry of a PV created from a snapshot (`TrackNativeSnapshot`: empty Phase). */
export const restoredVolumeInfo = (pv: KubeObject, record: NativeSnapshotRecord): RestoreVolumeInfo => ({
  ...pvcFields(pv),
  pvName: pv.metadata?.name ?? "",
  restoreMethod: "NativeSnapshot",
  snapshotDataMoved: false,
  nativeSnapshotInfo: nativeSnapshotInfo(record, ""),
});

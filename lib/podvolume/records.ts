/**
 * PodVolumeBackup records in Velero 1.18's shape (`pkg/apis/velero/v1/pod_volume_backup_types.go`,
 * `newPodVolumeBackup`), as `<backup>-podvolumebackups.json.gz` holds them and Velero's sync recreates
 * them: fields in Go's order, tags sorted (a Go map), `status.progress` always present.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { KubeObject } from "../kube/types.ts";
import { validLabelValue } from "../restore/reset.ts";
import { kubeTime } from "../util/duration.ts";
import type { VolumeBackupOutcome } from "./driver.ts";

/** Velero's PodVolumeBackup phases. */
export type PodVolumeBackupPhase =
  | "New"
  | "Accepted"
  | "Prepared"
  | "InProgress"
  | "Canceling"
  | "Canceled"
  | "Completed"
  | "Failed";

/** A PodVolumeBackup as written to the bucket. */
export interface PodVolumeBackupRecord {
  apiVersion: "velero.io/v1";
  kind: "PodVolumeBackup";
  metadata: {
    name: string;
    generateName: string;
    namespace: string;
    uid: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences: Array<Record<string, unknown>>;
  };
  spec: {
    node: string;
    pod: { kind: "Pod"; namespace: string; name: string; uid: string };
    volume: string;
    backupStorageLocation: string;
    repoIdentifier: string;
    uploaderType: "restic";
    tags: Record<string, string>;
  };
  status: {
    phase: PodVolumeBackupPhase;
    path?: string;
    snapshotID?: string;
    message?: string;
    startTimestamp?: string;
    completionTimestamp?: string;
    progress: { totalBytes?: number; bytesDone?: number };
    incrementalBytes?: number;
  };
}

/** The backup a record belongs to. */
export interface OwningBackup {
  readonly name: string;
  readonly uid: string;
  readonly storageLocation: string;
}

/** The snapshot tags Velero gives a pod volume (`backup`, `backup-uid`, `ns`, `pod`, `pod-uid`, `volume`, `pvc-uid`). */
export const volumeTags = (
  backup: OwningBackup,
  pod: KubeObject,
  volume: string,
  pvc?: KubeObject,
): Record<string, string> => ({
  backup: backup.name,
  "backup-uid": backup.uid,
  ns: pod.metadata?.namespace ?? "",
  pod: pod.metadata?.name ?? "",
  "pod-uid": pod.metadata?.uid ?? "",
  ...(pvc?.metadata?.uid ? { "pvc-uid": pvc.metadata.uid } : {}),
  volume,
});

/** The 5 characters the apiserver appends to a `generateName` (its alphabet has no vowels). */
const generatedSuffix = (): string =>
  Array.from({ length: 5 }, () => "bcdfghjklmnpqrstvwxz2456789"[randomInt(27)]).join("");

const sorted = (record: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** A new record (phase `New`) for one pod volume. */
export const newPodVolumeBackup = (init: {
  readonly backup: OwningBackup;
  readonly pod: KubeObject;
  readonly volume: string;
  readonly pvc?: KubeObject;
  readonly repoIdentifier: string;
  readonly created: Date;
  /** Velero's namespace, where the record lives. @default "velero" */
  readonly namespace?: string;
}): PodVolumeBackupRecord => {
  const { backup, pod, pvc } = init;
  const generateName = `${backup.name}-`;
  const labels: Record<string, string> = {
    "velero.io/backup-name": validLabelValue(backup.name),
    "velero.io/backup-uid": backup.uid,
    ...(pvc?.metadata?.uid ? { "velero.io/pvc-uid": pvc.metadata.uid } : {}),
  };
  return {
    apiVersion: "velero.io/v1",
    kind: "PodVolumeBackup",
    metadata: {
      name: `${generateName}${generatedSuffix()}`,
      generateName,
      namespace: init.namespace ?? "velero",
      uid: randomUUID(),
      creationTimestamp: kubeTime(init.created),
      labels,
      ...(pvc?.metadata?.name ? { annotations: { "velero.io/pvc-name": pvc.metadata.name } } : {}),
      ownerReferences: [
        { apiVersion: "velero.io/v1", kind: "Backup", name: backup.name, uid: backup.uid, controller: true },
      ],
    },
    spec: {
      node: (pod.spec as { nodeName?: string } | undefined)?.nodeName ?? "",
      pod: {
        kind: "Pod",
        namespace: pod.metadata?.namespace ?? "",
        name: pod.metadata?.name ?? "",
        uid: pod.metadata?.uid ?? "",
      },
      volume: init.volume,
      backupStorageLocation: backup.storageLocation,
      repoIdentifier: init.repoIdentifier,
      uploaderType: "restic",
      tags: sorted(volumeTags(backup, pod, init.volume, pvc)),
    },
    status: { phase: "New", progress: {} },
  };
};

/** The record after a successful backup. */
export const completedPodVolumeBackup = (
  record: PodVolumeBackupRecord,
  outcome: VolumeBackupOutcome,
): PodVolumeBackupRecord => ({
  ...record,
  status: {
    phase: "Completed",
    path: outcome.path,
    snapshotID: outcome.snapshotId,
    ...(outcome.warnings.length ? { message: outcome.warnings.join("; ") } : {}),
    startTimestamp: kubeTime(outcome.startTimestamp),
    completionTimestamp: kubeTime(outcome.completionTimestamp),
    progress: {
      ...(outcome.progress.totalBytes ? { totalBytes: outcome.progress.totalBytes } : {}),
      ...(outcome.progress.bytesDone ? { bytesDone: outcome.progress.bytesDone } : {}),
    },
    ...(outcome.incrementalBytes ? { incrementalBytes: outcome.incrementalBytes } : {}),
  },
});

/** The record after a failure. */
export const failedPodVolumeBackup = (
  record: PodVolumeBackupRecord,
  message: string,
  started: Date | undefined,
  completed: Date,
): PodVolumeBackupRecord => ({
  ...record,
  status: {
    phase: "Failed",
    message,
    ...(started ? { startTimestamp: kubeTime(started) } : {}),
    completionTimestamp: kubeTime(completed),
    progress: {},
  },
});

/** The PVC and PV behind a pod volume, for volume info. */
export interface ClaimInfo {
  readonly pvc: KubeObject;
  readonly pv: KubeObject;
}

/**
 * Velero's `BackupVolumeInfo` for a PodVolumeBackup (`generateVolumeInfoFromPVB`), written to
 * `<backup>-volumeinfo.json.gz`. Velero's `PodVolumeInfo.Phase` has no JSON tag, hence the capital P.
 */
export const podVolumeInfo = (record: PodVolumeBackupRecord, claim?: ClaimInfo): Record<string, unknown> => {
  const pvSpec = (claim?.pv.spec ?? {}) as { persistentVolumeReclaimPolicy?: string };
  return {
    ...(claim
      ? {
          pvcName: claim.pvc.metadata?.name,
          pvcNamespace: claim.pvc.metadata?.namespace,
          pvName: claim.pv.metadata?.name,
        }
      : {}),
    backupMethod: "PodVolumeBackup",
    snapshotDataMoved: false,
    preserveLocalSnapshot: false,
    skipped: false,
    ...(record.status.startTimestamp ? { startTimestamp: record.status.startTimestamp } : {}),
    ...(record.status.completionTimestamp ? { completionTimestamp: record.status.completionTimestamp } : {}),
    result: record.status.phase === "Completed" ? "succeeded" : "failed",
    pvbInfo: {
      ...(record.status.snapshotID ? { snapshotHandle: record.status.snapshotID } : {}),
      ...(record.status.progress.totalBytes ? { size: record.status.progress.totalBytes } : {}),
      ...(record.status.incrementalBytes ? { incrementalSize: record.status.incrementalBytes } : {}),
      uploaderType: record.spec.uploaderType,
      volumeName: record.spec.volume,
      podName: record.spec.pod.name,
      podNamespace: record.spec.pod.namespace,
      ...(record.spec.node ? { nodeName: record.spec.node } : {}),
      Phase: record.status.phase,
    },
    ...(claim
      ? {
          pvInfo: {
            reclaimPolicy: pvSpec.persistentVolumeReclaimPolicy ?? "",
            ...(claim.pv.metadata?.labels ? { labels: claim.pv.metadata.labels } : {}),
          },
        }
      : {}),
  };
};

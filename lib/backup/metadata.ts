import type { Backup, BackupSpec, BackupStatus } from "../store/types.ts";
import { formatDuration, kubeTime } from "../util/duration.ts";

/** Builds velero-backup.json: Velero's Backup object, fields in Velero's order. */
export const buildBackupObject = (init: {
  name: string;
  spec: BackupSpec;
  status: BackupStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  created: Date;
  uid: string;
}): Backup => ({
  kind: "Backup",
  apiVersion: "velero.io/v1",
  metadata: {
    name: init.name,
    namespace: "velero",
    uid: init.uid,
    creationTimestamp: kubeTime(init.created),
    labels: init.labels,
    annotations: init.annotations,
  },
  spec: init.spec,
  status: init.status,
});

/** The spec recorded for a backup (Velero's defaults filled as its controller fills them). */
export const recordedSpec = (fields: Record<string, unknown>, ttlMs: number): BackupSpec => {
  const spec: BackupSpec = { metadata: {} };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) spec[key] = value;
  }
  spec.ttl = formatDuration(ttlMs);
  spec.hooks ??= {};
  spec.storageLocation ??= "default";
  spec.defaultVolumesToFsBackup ??= false;
  spec.csiSnapshotTimeout ??= "10m0s";
  spec.itemOperationTimeout ??= "4h0m0s";
  spec.snapshotMoveData ??= false;
  return spec;
};

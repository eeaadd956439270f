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

/** What a backup records about itself, known once its options are resolved. */
export interface RecordedBackup {
  readonly name: string;
  /** The backup's lifetime. @default 720h */
  readonly ttlMs: number;
  /** Labels of the backup object, with `velero.io/storage-location`. */
  readonly labels: Record<string, string>;
  /** The user's annotations of the backup object (the run adds the source cluster's). @default {} */
  readonly annotations: Readonly<Record<string, string>>;
  /** The spec velero-backup.json records, Velero's defaults filled in. */
  readonly spec: BackupSpec;
}

/** How a backup run ended, as velero-backup.json records it. */
export interface BackupOutcome {
  readonly phase: "Completed" | "PartiallyFailed";
  readonly started: Date;
  readonly completed: Date;
  /** The cluster's `/version`, recorded as source-cluster annotations. */
  readonly version: { readonly gitVersion: string; readonly major: string; readonly minor: string };
  readonly itemsBackedUp: number;
  /** Counts of warning and error log lines. */
  readonly warnings: number;
  readonly errors: number;
  readonly volumeSnapshotsAttempted: number;
  readonly volumeSnapshotsCompleted: number;
  /** Velero's `hookStatus` (zero counts left out). @default {} */
  readonly hookStatus?: { readonly hooksAttempted: number; readonly hooksFailed: number };
}

/**
 * The velero-backup.json of a finished backup: its spec as recorded, the user's annotations with the
 * source cluster's, and the status of `outcome` (expiration = start + `ttlMs`; zero counts left out).
 */
export const completedBackupObject = (
  backup: RecordedBackup & { readonly uid: string },
  outcome: BackupOutcome,
): Backup =>
  buildBackupObject({
    name: backup.name,
    uid: backup.uid,
    created: outcome.started,
    labels: backup.labels,
    annotations: {
      ...backup.annotations,
      "velero.io/resource-timeout": "10m0s",
      "velero.io/source-cluster-k8s-gitversion": outcome.version.gitVersion,
      "velero.io/source-cluster-k8s-major-version": outcome.version.major,
      "velero.io/source-cluster-k8s-minor-version": outcome.version.minor,
    },
    spec: backup.spec,
    status: {
      version: 1,
      formatVersion: "1.1.0",
      expiration: kubeTime(new Date(outcome.started.getTime() + backup.ttlMs)),
      phase: outcome.phase,
      startTimestamp: kubeTime(outcome.started),
      completionTimestamp: kubeTime(outcome.completed),
      ...(outcome.warnings > 0 ? { warnings: outcome.warnings } : {}),
      ...(outcome.errors > 0 ? { errors: outcome.errors } : {}),
      ...(outcome.volumeSnapshotsAttempted > 0
        ? { volumeSnapshotsAttempted: outcome.volumeSnapshotsAttempted }
        : {}),
      ...(outcome.volumeSnapshotsCompleted > 0
        ? { volumeSnapshotsCompleted: outcome.volumeSnapshotsCompleted }
        : {}),
      progress: { totalItems: outcome.itemsBackedUp, itemsBackedUp: outcome.itemsBackedUp },
      hookStatus: {
        ...(outcome.hookStatus?.hooksAttempted ? { hooksAttempted: outcome.hookStatus.hooksAttempted } : {}),
        ...(outcome.hookStatus?.hooksFailed ? { hooksFailed: outcome.hookStatus.hooksFailed } : {}),
      },
    },
  });

/**
 * The Velero objects kept in a backup location, as JSON (`pkg/apis/velero/v1/backup_types.go`, Velero 1.18).
 * Every field is optional because Velero omits empty ones (`omitempty`) and older versions lack newer ones;
 * unknown fields are preserved through the index signatures.
 */
import type { ObjectMeta } from "../kube/types.ts";

/** Lifecycle phase of a Backup. */
export type BackupPhase =
  | "New"
  | "Queued"
  | "ReadyToStart"
  | "FailedValidation"
  | "InProgress"
  | "WaitingForPluginOperations"
  | "WaitingForPluginOperationsPartiallyFailed"
  | "Finalizing"
  | "FinalizingPartiallyFailed"
  | "Completed"
  | "PartiallyFailed"
  | "Failed"
  | "Deleting";

/** A Kubernetes label selector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
    values?: string[];
  }>;
}

/** `spec` of a Backup (field order matches Velero's). */
export interface BackupSpec {
  /** Template labels (`spec.metadata.labels`). */
  metadata?: { labels?: Record<string, string> };
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  includedClusterScopedResources?: string[];
  excludedClusterScopedResources?: string[];
  includedNamespaceScopedResources?: string[];
  excludedNamespaceScopedResources?: string[];
  labelSelector?: LabelSelector;
  orLabelSelectors?: LabelSelector[];
  snapshotVolumes?: boolean;
  /** Go duration, e.g. "720h0m0s". */
  ttl?: string;
  volumeGroupSnapshotLabelKey?: string;
  includeClusterResources?: boolean;
  hooks?: { resources?: Array<Record<string, unknown>> };
  storageLocation?: string;
  volumeSnapshotLocations?: string[];
  defaultVolumesToRestic?: boolean;
  defaultVolumesToFsBackup?: boolean;
  orderedResources?: Record<string, string>;
  csiSnapshotTimeout?: string;
  itemOperationTimeout?: string;
  resourcePolicy?: { apiGroup?: string; kind: string; name: string };
  snapshotMoveData?: boolean;
  datamover?: string;
  uploaderConfig?: { parallelFilesUpload?: number };
  [field: string]: unknown;
}

/** `status` of a Backup (field order matches Velero's). */
export interface BackupStatus {
  version?: number;
  formatVersion?: string;
  expiration?: string;
  phase?: BackupPhase;
  queuePosition?: number;
  validationErrors?: string[];
  startTimestamp?: string;
  completionTimestamp?: string;
  volumeSnapshotsAttempted?: number;
  volumeSnapshotsCompleted?: number;
  failureReason?: string;
  /** Count of warning-level log lines. */
  warnings?: number;
  /** Count of error-level log lines (non-zero ⇒ PartiallyFailed). */
  errors?: number;
  progress?: { totalItems?: number; itemsBackedUp?: number };
  csiVolumeSnapshotsAttempted?: number;
  csiVolumeSnapshotsCompleted?: number;
  backupItemOperationsAttempted?: number;
  backupItemOperationsCompleted?: number;
  backupItemOperationsFailed?: number;
  hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
  [field: string]: unknown;
}

/** A Velero Backup object, as stored in `velero-backup.json`. */
export interface Backup {
  kind: "Backup";
  apiVersion: "velero.io/v1";
  metadata: ObjectMeta;
  spec: BackupSpec;
  status?: BackupStatus;
}

/** Messages grouped by origin, as in Velero's results files (`pkg/util/results`). Empty groups are omitted. */
export interface Result {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

/** `<name>-results.gz` / `restore-<r>-results.gz`. */
export interface Results {
  errors: Result;
  warnings: Result;
}

/** `<name>-resource-list.json.gz`: `"<group/version>/<Kind>"` (core: `v1/Pod`) → sorted `ns/name` or `name`. */
export type ResourceList = Record<string, string[]>;

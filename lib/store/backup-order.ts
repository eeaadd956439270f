/**
 * Velero's Backup fields in Go struct order (`pkg/apis/velero/v1/backup_types.go` at 1.18, ObjectMeta from
 * apimachinery), so a Backup built in any key order serialises exactly as Velero's does.
 */
import { SERVER_SET_META_FIELDS } from "../kube/types.ts";
import { isRecord } from "../util/is-record.ts";
import type { Backup } from "./types.ts";

const BACKUP_ORDER = ["kind", "apiVersion", "metadata", "spec", "status"];
const OBJECT_META_ORDER = [
  "name",
  "generateName",
  "namespace",
  ...SERVER_SET_META_FIELDS,
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];
const BACKUP_SPEC_ORDER = [
  "metadata",
  "includedNamespaces",
  "excludedNamespaces",
  "includedResources",
  "excludedResources",
  "includedClusterScopedResources",
  "excludedClusterScopedResources",
  "includedNamespaceScopedResources",
  "excludedNamespaceScopedResources",
  "labelSelector",
  "orLabelSelectors",
  "snapshotVolumes",
  "ttl",
  "volumeGroupSnapshotLabelKey",
  "includeClusterResources",
  "hooks",
  "storageLocation",
  "volumeSnapshotLocations",
  "defaultVolumesToRestic",
  "defaultVolumesToFsBackup",
  "orderedResources",
  "csiSnapshotTimeout",
  "itemOperationTimeout",
  "resourcePolicy",
  "snapshotMoveData",
  "datamover",
  "uploaderConfig",
];
const BACKUP_STATUS_ORDER = [
  "version",
  "formatVersion",
  "expiration",
  "phase",
  "queuePosition",
  "validationErrors",
  "startTimestamp",
  "completionTimestamp",
  "volumeSnapshotsAttempted",
  "volumeSnapshotsCompleted",
  "failureReason",
  "warnings",
  "errors",
  "progress",
  "csiVolumeSnapshotsAttempted",
  "csiVolumeSnapshotsCompleted",
  "backupItemOperationsAttempted",
  "backupItemOperationsCompleted",
  "backupItemOperationsFailed",
  "hookStatus",
];
const PROGRESS_ORDER = ["totalItems", "itemsBackedUp"];
const HOOK_STATUS_ORDER = ["hooksAttempted", "hooksFailed"];

/** A copy of `obj` with the `order` keys first (in that order), then the rest as they were. */
export const orderKeys = (
  obj: Record<string, unknown>,
  order: readonly string[],
): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const key of order) if (Object.hasOwn(obj, key)) out[key] = obj[key];
  for (const key of Object.keys(obj)) if (!Object.hasOwn(out, key)) out[key] = obj[key];
  return out;
};

const orderNested = (value: unknown, order: readonly string[]): unknown =>
  isRecord(value) ? orderKeys(value, order) : value;

/** The Backup object with its fields in Velero's (Go struct) order; unknown fields keep their place after. */
export const orderBackupFields = (backup: Backup): Record<string, unknown> => {
  const top = orderKeys(backup as unknown as Record<string, unknown>, BACKUP_ORDER);
  if (isRecord(top.metadata)) top.metadata = orderKeys(top.metadata, OBJECT_META_ORDER);
  if (isRecord(top.spec)) top.spec = orderKeys(top.spec, BACKUP_SPEC_ORDER);
  if (isRecord(top.status)) {
    const status = orderKeys(top.status, BACKUP_STATUS_ORDER);
    if (status.progress !== undefined) status.progress = orderNested(status.progress, PROGRESS_ORDER);
    if (status.hookStatus !== undefined)
      status.hookStatus = orderNested(status.hookStatus, HOOK_STATUS_ORDER);
    top.status = status;
  }
  return top;
};

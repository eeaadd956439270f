import { createHash } from "node:crypto";
import { type KubeObject, SERVER_SET_META_FIELDS } from "../kube/types.ts";

/** The metadata keys Velero removes before creating an object (`resetMetadata`). */
const RESET_KEYS = ["generateName", ...SERVER_SET_META_FIELDS, "ownerReferences"] as const;

/** Label keys Velero writes on restored objects. */
export const BACKUP_NAME_LABEL = "velero.io/backup-name";
export const RESTORE_NAME_LABEL = "velero.io/restore-name";

/**
 * A label value Velero accepts: names over 63 characters become the first 57 characters plus 6 hex
 * characters of their sha256 (`pkg/label/label.go` GetValidName).
 */
export const validLabelValue = (value: string): string =>
  value.length <= 63
    ? value
    : `${value.slice(0, 57)}${createHash("sha256").update(value).digest("hex").slice(0, 6)}`;

/**
 * Returns a copy with Velero's metadata reset: the nine keys and `status` removed; name, namespace,
 * labels, annotations, finalizers and managedFields kept. The copy is shallow: the object and its
 * `metadata` are new, everything below (spec, data, labels) is shared with `object`, so change those
 * immutably (item actions get a deep copy of their own). A deep copy of every item was the largest
 * avoidable client cost of a restore in the bench's profile.
 */
export const resetMetadata = (object: KubeObject): KubeObject => {
  const { status: _status, ...copy } = object;
  const metadata = { ...(object.metadata ?? {}) };
  for (const key of RESET_KEYS) delete metadata[key];
  copy.metadata = metadata;
  return copy;
};

/** Adds `velero.io/backup-name` and `velero.io/restore-name` (Velero's keys, so its tooling recognises them). */
export const addRestoreLabels = (
  object: KubeObject,
  backupName: string,
  restoreName: string,
): KubeObject => ({
  ...object,
  metadata: {
    ...object.metadata,
    labels: {
      ...object.metadata?.labels,
      [BACKUP_NAME_LABEL]: validLabelValue(backupName),
      [RESTORE_NAME_LABEL]: validLabelValue(restoreName),
    },
  },
});

const stripForCompare = (object: KubeObject): KubeObject => {
  const copy = resetMetadata(object);
  if (copy.metadata) {
    delete copy.metadata.managedFields;
    delete copy.metadata.finalizers;
  }
  return copy;
};

/** Deep equality of JSON values, ignoring key order. */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
};

/**
 * Velero's "identical" check: the in-cluster object, metadata-reset and labelled like the restored one,
 * deep-equals the object about to be created (managedFields and finalizers aside).
 */
export const isIdentical = (live: KubeObject, desired: KubeObject, backupName: string, restoreName: string) =>
  jsonEqual(stripForCompare(addRestoreLabels(live, backupName, restoreName)), stripForCompare(desired));

/**
 * What a restore never creates (`pkg/controller/restore_controller.go` `nonRestorableResources`), what
 * it always creates (`resourceMustHave`), and the per-item skips of `pkg/restore/restore.go`.
 */

/** Group-resources a restore never creates, whatever the filters say. */
export const NEVER_RESTORED_RESOURCES: readonly string[] = Object.freeze([
  "nodes",
  "events",
  "events.events.k8s.io",
  "backups.velero.io",
  "restores.velero.io",
  "resticrepositories.velero.io",
  "csinodes.storage.k8s.io",
  "volumeattachments.storage.k8s.io",
  "backuprepositories.velero.io",
]);

/** Group-resources a restore always processes, bypassing every filter (Velero's `resourceMustHave`). */
export const ALWAYS_RESTORED_RESOURCES: readonly string[] = Object.freeze([
  "datauploads.velero.io",
  "volumesnapshotcontents.snapshot.storage.k8s.io",
]);

/** True for a group-resource string on {@link NEVER_RESTORED_RESOURCES}. */
export const isNeverRestored = (groupResource: string): boolean =>
  NEVER_RESTORED_RESOURCES.includes(groupResource);

/** True for a group-resource string on {@link ALWAYS_RESTORED_RESOURCES}. */
export const isAlwaysRestored = (groupResource: string): boolean =>
  ALWAYS_RESTORED_RESOURCES.includes(groupResource);

/** Annotation the kubelet puts on mirror pods of static pods. */
export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";

/** The parts of an item the per-item skip rules read. */
export interface RestoreCandidate {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> | null | undefined } | null;
  readonly status?: unknown;
}

const statusField = (item: RestoreCandidate, field: string): unknown => {
  const status = item.status;
  return typeof status === "object" && status !== null
    ? (status as Record<string, unknown>)[field]
    : undefined;
};

/**
 * Why a restore skips this item (a log line), or undefined to restore it: mirror pods, pods that have
 * finished (`status.phase` Succeeded or Failed), and jobs with a `status.completionTime`.
 * @param groupResource the item's group-resource string (`pods`, `jobs.batch`).
 */
export const restoreSkipReason = (groupResource: string, item: RestoreCandidate): string | undefined => {
  if (groupResource === "pods") {
    const annotations = item.metadata?.annotations ?? {};
    if (Object.hasOwn(annotations, MIRROR_POD_ANNOTATION))
      return `mirror pod (annotation ${MIRROR_POD_ANNOTATION}); the kubelet recreates it from its static pod manifest`;
    const phase = statusField(item, "phase");
    if (phase === "Succeeded" || phase === "Failed")
      return `pod has completed (status.phase ${phase}); completed pods are not restored`;
  }
  if (groupResource === "jobs.batch") {
    const completionTime = statusField(item, "completionTime");
    if (typeof completionTime === "string" && completionTime !== "")
      return `job has completed (status.completionTime ${completionTime}); completed jobs are not restored`;
  }
  return undefined;
};

import type { RestoreItemAction } from "../../lib/actions/index.ts";
import { boundVolumeName, CLAIMS, volumeItem } from "../claims.ts";
import { deleteFromMap } from "../util.ts";

/** Annotations Velero 1.18's `velero.io/pvc` removes before a claim is re-created. */
export const PVC_RESTORE_DROPPED_ANNOTATIONS: readonly string[] = [
  "pv.kubernetes.io/bind-completed",
  "pv.kubernetes.io/bound-by-controller",
  "volume.kubernetes.io/storage-provisioner",
  "volume.beta.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/selected-node",
  "velero.io/volume-snapshot-name",
  "velero.io/data-upload-name",
];

/**
 * `velero.io/pvc` (Velero 1.18's `pkg/restore/actions/pvc_action.go`): removes the binding and
 * provisioning annotations listed in {@link PVC_RESTORE_DROPPED_ANNOTATIONS} (including
 * `volume.kubernetes.io/selected-node`: Velero 1.18 dropped node remapping, the claim is scheduled
 * afresh); when the claim was `Bound` in the backup, restores its PersistentVolume first.
 * `spec.volumeName` is left to the restore engine.
 */
export const pvcRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/pvc",
  appliesTo: CLAIMS,
  execute({ item, itemFromBackup, log }) {
    deleteFromMap(item.metadata, "annotations", PVC_RESTORE_DROPPED_ANNOTATIONS);
    // status is gone from the item by now: look at the claim as it was backed up
    const volumeName = boundVolumeName(itemFromBackup);
    if (!volumeName) {
      log.info("PVC is not bound or its volume name is empty");
      return { item };
    }
    log.info(`Adding PV ${volumeName} as an additional item to restore`);
    return { item, additionalItems: [volumeItem(volumeName)] };
  },
});

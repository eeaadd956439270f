import type { ResourceIdentifier, RestoreItemAction } from "../../lib/actions/index.ts";
import { claimItem, podClaimNames } from "../claims.ts";

/**
 * `velero.io/add-pvc-from-pod` (Velero's `add_pvc_from_pod_action.go`): restores every
 * PersistentVolumeClaim a pod's volumes use before the pod. Additional items name the claim's namespace
 * as in the backup; the restore maps it.
 */
export const addPvcFromPodRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/add-pvc-from-pod",
  appliesTo: { resources: ["pods"] },
  execute({ item, itemFromBackup, log }) {
    const namespace = itemFromBackup.metadata?.namespace ?? item.metadata?.namespace;
    const additionalItems: ResourceIdentifier[] = [];
    for (const claim of podClaimNames(item)) {
      log.info(`Adding PVC ${namespace}/${claim} as an additional item to restore`);
      additionalItems.push(claimItem(namespace, claim));
    }
    return additionalItems.length > 0 ? { additionalItems } : undefined;
  },
});

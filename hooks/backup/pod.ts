import type { BackupItemAction, ResourceIdentifier } from "../../lib/actions/index.ts";
import { claimItem, podClaimNames } from "../claims.ts";
import { child, text } from "../util.ts";

/**
 * `velero.io/pod` (Velero's `pkg/backup/actions/pod_action.go`): a pod brings its PriorityClass and the
 * PersistentVolumeClaims its volumes use (same namespace). The pod itself is unchanged.
 */
export const podBackupAction = (): BackupItemAction => ({
  name: "velero.io/pod",
  appliesTo: { resources: ["pods"] },
  execute({ item, log }) {
    const spec = child(item, "spec");
    const additionalItems: ResourceIdentifier[] = [];
    const priorityClass = text(spec, "priorityClassName");
    if (priorityClass) {
      log.info(`Adding priorityclass ${priorityClass} to additionalItems`);
      additionalItems.push({ resource: "priorityclasses.scheduling.k8s.io", name: priorityClass });
    }
    const namespace = item.metadata?.namespace;
    for (const claim of podClaimNames(item)) {
      log.info(`Adding pvc ${claim} to additionalItems`);
      additionalItems.push(claimItem(namespace, claim));
    }
    return additionalItems.length > 0 ? { additionalItems } : undefined;
  },
});

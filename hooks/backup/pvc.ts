import type { BackupItemAction } from "../../lib/actions/index.ts";
import { boundVolumeName, CLAIMS, volumeItem } from "../claims.ts";
import { child, deleteFromMap, text } from "../util.ts";

/** Labels a backed-up claim never keeps (`velero.io/backup-name` is handled apart: it may name this backup). */
const STALE_LABELS = new Set([
  "velero.io/restore-name",
  "backup.velero.io/must-include-additional-items",
  "velero.io/volume-snapshot-name",
]);

/** Whether a claim's label is stale in backup `backupName`: one of {@link STALE_LABELS}, or another backup's name. */
const isStaleLabel = (key: string, value: string | undefined, backupName: string): boolean =>
  STALE_LABELS.has(key) || (key === "velero.io/backup-name" && value !== backupName);

/**
 * `velero.io/pv` (Velero's `pkg/backup/actions/backup_pv_action.go`; despite the name it acts on
 * PersistentVolumeClaims). Only for a claim that is `Bound` with `spec.volumeName` set:
 * - clears `spec.dataSource` and `spec.dataSourceRef` (left over from a restore from a snapshot);
 * - clears `spec.selector` unless `spec.storageClassName` is `""` (so a restore provisions dynamically);
 * - removes `velero.io/*` keys from what is left of `spec.selector.matchLabels`;
 * - removes stale labels `velero.io/restore-name`, `backup.velero.io/must-include-additional-items`,
 *   `velero.io/volume-snapshot-name`, and `velero.io/backup-name` unless it names this backup;
 * - returns the bound PersistentVolume as an additional item.
 */
export const pvcBackupAction = (): BackupItemAction => ({
  name: "velero.io/pv",
  appliesTo: CLAIMS,
  execute({ item, backup, log }) {
    const spec = child(item, "spec");
    const volumeName = boundVolumeName(item);
    if (!spec || !volumeName) return undefined;

    delete spec["dataSource"];
    delete spec["dataSourceRef"];
    // storageClassName "" means "no class, not even the default": only then is the selector kept
    if (text(spec, "storageClassName") !== "") delete spec["selector"];

    const matchLabels = child(child(spec, "selector"), "matchLabels");
    if (matchLabels) {
      const stale = Object.keys(matchLabels).filter((k) => k.startsWith("velero.io/"));
      for (const key of stale)
        log.info(`Deleting stale Velero label ${key} from PVC ${item.metadata?.name} selector`);
      deleteFromMap(child(spec, "selector"), "matchLabels", stale);
    }

    const labels = item.metadata?.labels;
    if (labels) {
      const stale = Object.keys(labels).filter((k) => isStaleLabel(k, labels[k], backup.name));
      for (const key of stale)
        log.info(`Deleting stale Velero label ${key}=${labels[key]} from PVC ${item.metadata?.name}`);
      deleteFromMap(item.metadata, "labels", stale);
    }
    return { item, additionalItems: [volumeItem(volumeName)] };
  },
});

/**
 * Stowage's built-in item actions: the Velero 1.18 equivalents, under Velero's names so logs read the
 * same, written with the same contract a user's actions use (`lib/actions` only: they never reach into the
 * engines). Create fresh instances for every backup or restore run; the front door installs them into
 * the engines.
 */
import type {
  BackupItemAction,
  BuiltinActions,
  BuiltinRestoreActionsOptions,
  RestoreItemAction,
} from "../lib/actions/index.ts";
import { podBackupAction } from "./backup/pod.ts";
import { pvcBackupAction } from "./backup/pvc.ts";
import { serviceAccountBackupAction } from "./backup/service-account.ts";
import { createPluginConfigReader } from "./plugin-config.ts";
import { addPvcFromPodRestoreAction } from "./restore/add-pvc-from-pod.ts";
import { admissionWebhookRestoreAction } from "./restore/admission-webhook.ts";
import { apiServiceRestoreAction } from "./restore/apiservice.ts";
import { changeImageNameRestoreAction } from "./restore/change-image-name.ts";
import { changeStorageClassRestoreAction } from "./restore/change-storage-class.ts";
import { crdPreserveFieldsRestoreAction } from "./restore/crd-preserve-fields.ts";
import { jobRestoreAction } from "./restore/job.ts";
import { podRestoreAction } from "./restore/pod.ts";
import { pvcRestoreAction } from "./restore/pvc.ts";
import { clusterRoleBindingRestoreAction, roleBindingRestoreAction } from "./restore/role-bindings.ts";
import { secretRestoreAction } from "./restore/secret.ts";
import { serviceRestoreAction } from "./restore/service.ts";
import { serviceAccountRestoreAction } from "./restore/service-account.ts";

export { PLUGIN_CONFIG_LABELS } from "./plugin-config.ts";
export { PVC_RESTORE_DROPPED_ANNOTATIONS } from "./restore/pvc.ts";

/**
 * The built-in backup item actions, in Velero's order (names sorted): `velero.io/pod` (pod → its
 * PVCs and PriorityClass), `velero.io/pv` (bound PVC → cleaned claim + its PV), `velero.io/service-account`
 * (ServiceAccount → its ClusterRoleBindings and ClusterRoles). Call once per backup.
 */
export const createBuiltinBackupActions = (): BackupItemAction[] => [
  podBackupAction(),
  pvcBackupAction(),
  serviceAccountBackupAction(),
];

/** Options of {@link createBuiltinRestoreActions}. */
export type { BuiltinRestoreActionsOptions };

/**
 * The built-in restore item actions, in Velero's order (names sorted). Call once per restore.
 *
 * Not included (they belong to other seams or need features Stowage does not have yet):
 * `velero.io/pod-volume-restore`, `velero.io/init-restore-hook`, `velero.io/dataupload`, the CSI actions,
 * and `velero.io/change-pvc-node-selector` (removed in Velero 1.18: `velero.io/pvc` now always drops
 * `volume.kubernetes.io/selected-node`).
 */
export const createBuiltinRestoreActions = (
  options: BuiltinRestoreActionsOptions = {},
): RestoreItemAction[] => {
  const readConfig = createPluginConfigReader(options.pluginConfigNamespace);
  return [
    addPvcFromPodRestoreAction(),
    admissionWebhookRestoreAction(),
    apiServiceRestoreAction(),
    changeImageNameRestoreAction({ readConfig, mapping: options.imageNameMapping }),
    changeStorageClassRestoreAction({ readConfig, mapping: options.storageClassMapping }),
    clusterRoleBindingRestoreAction(),
    crdPreserveFieldsRestoreAction(),
    jobRestoreAction(),
    podRestoreAction(),
    pvcRestoreAction(),
    roleBindingRestoreAction(),
    secretRestoreAction(),
    serviceRestoreAction(),
    serviceAccountRestoreAction(),
  ];
};

/** Both factories, as the composition root installs them into the engines (`setBuiltinActions`). */
export const BUILTIN_ACTIONS: BuiltinActions = {
  backup: createBuiltinBackupActions,
  restore: createBuiltinRestoreActions,
};

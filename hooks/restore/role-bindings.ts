import {
  isRecord,
  type KubeObject,
  type RestoreInfo,
  type RestoreItemAction,
} from "../../lib/actions/index.ts";
import { list } from "../util.ts";

const remapSubjects = (item: KubeObject, restore: RestoreInfo) => {
  const mapping = restore.namespaceMapping;
  if (Object.keys(mapping).length === 0) return undefined;
  for (const subject of list(item, "subjects")) {
    if (!isRecord(subject)) continue;
    const namespace = typeof subject["namespace"] === "string" ? subject["namespace"] : "";
    if (Object.hasOwn(mapping, namespace)) subject["namespace"] = mapping[namespace];
  }
  return { item };
};

/**
 * `velero.io/role-bindings` (Velero's `rolebinding_action.go`): maps `subjects[].namespace` through
 * the restore's namespaceMapping, so a binding follows its ServiceAccounts into the new namespace.
 */
export const roleBindingRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/role-bindings",
  appliesTo: { resources: ["rolebindings.rbac.authorization.k8s.io"] },
  execute: ({ item, restore }) => remapSubjects(item, restore),
});

/** `velero.io/cluster-role-bindings` (Velero's `clusterrolebinding_action.go`): the same for ClusterRoleBindings. */
export const clusterRoleBindingRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/cluster-role-bindings",
  appliesTo: { resources: ["clusterrolebindings.rbac.authorization.k8s.io"] },
  execute: ({ item, restore }) => remapSubjects(item, restore),
});

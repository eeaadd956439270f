import type {
  ActionLogger,
  BackupInfo,
  BackupItemActionInput,
  Cluster,
  KubeObject,
  RestoreInfo,
  RestoreItemActionInput,
} from "../../lib/index.ts";
import type { ApiGroup, ApiResource, Discovery } from "../../lib/kube/discovery.ts";
import { makeDiscovery } from "../../lib/kube/discovery.ts";

type Row = [group: string, resource: string, kind: string, namespaced: boolean, shortNames?: string[]];

const ROWS: Row[] = [
  ["", "pods", "Pod", true, ["po"]],
  ["", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]],
  ["", "persistentvolumes", "PersistentVolume", false, ["pv"]],
  ["", "serviceaccounts", "ServiceAccount", true, ["sa"]],
  ["", "services", "Service", true, ["svc"]],
  ["", "secrets", "Secret", true],
  ["", "configmaps", "ConfigMap", true, ["cm"]],
  ["", "namespaces", "Namespace", false, ["ns"]],
  ["", "nodes", "Node", false, ["no"]],
  ["", "replicationcontrollers", "ReplicationController", true, ["rc"]],
  ["apps", "deployments", "Deployment", true, ["deploy"]],
  ["apps", "statefulsets", "StatefulSet", true, ["sts"]],
  ["apps", "daemonsets", "DaemonSet", true, ["ds"]],
  ["apps", "replicasets", "ReplicaSet", true, ["rs"]],
  ["batch", "jobs", "Job", true],
  ["batch", "cronjobs", "CronJob", true, ["cj"]],
  ["rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", false],
  ["rbac.authorization.k8s.io", "clusterroles", "ClusterRole", false],
  ["rbac.authorization.k8s.io", "rolebindings", "RoleBinding", true],
  ["rbac.authorization.k8s.io", "roles", "Role", true],
  ["scheduling.k8s.io", "priorityclasses", "PriorityClass", false, ["pc"]],
  ["storage.k8s.io", "storageclasses", "StorageClass", false, ["sc"]],
  ["apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", false, ["crd", "crds"]],
  ["admissionregistration.k8s.io", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false],
  [
    "admissionregistration.k8s.io",
    "validatingwebhookconfigurations",
    "ValidatingWebhookConfiguration",
    false,
  ],
  ["apiregistration.k8s.io", "apiservices", "APIService", false],
];

/** A discovery of a typical cluster (every group at v1), built without an apiserver. */
export const fakeDiscovery = (): Discovery => {
  const groups: ApiGroup[] = [...new Set(ROWS.map((r) => r[0]))].map((name) => ({
    name,
    versions: ["v1"],
    preferredVersion: "v1",
  }));
  const resources: ApiResource[] = ROWS.map(([group, resource, kind, namespaced, shortNames = []]) => ({
    group,
    version: "v1",
    groupVersion: group ? `${group}/v1` : "v1",
    resource,
    groupResource: group ? `${resource}.${group}` : resource,
    kind,
    singular: kind.toLowerCase(),
    namespaced,
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames,
    categories: [],
    preferred: true,
  }));
  return makeDiscovery(groups, resources, []);
};

/** A logger that records every line. */
export const recordingLog = () => {
  const lines: Array<{ level: "info" | "warn" | "error"; message: string }> = [];
  const log: ActionLogger = {
    info: (message) => lines.push({ level: "info", message }),
    warn: (message) => lines.push({ level: "warn", message }),
    error: (message) => lines.push({ level: "error", message }),
  };
  return { log, lines };
};

/** A cluster that fails the test if a pure action touches it. */
export const noCluster = new Proxy(
  {},
  {
    get: (_, key) => {
      throw new Error(`this action should not use the cluster (called cluster.${String(key)})`);
    },
  },
) as Cluster;

export const backupInfo = (name = "nightly-1"): BackupInfo => ({ name, labels: {}, spec: {} });

export const restoreInfo = (overrides: Partial<RestoreInfo> = {}): RestoreInfo => ({
  name: "restore-1",
  backupName: "nightly-1",
  namespaceMapping: {},
  spec: {},
  ...overrides,
});

export const backupInput = (
  item: KubeObject,
  overrides: Partial<Omit<BackupItemActionInput, "item">> = {},
): BackupItemActionInput => ({
  item,
  backup: backupInfo(),
  log: recordingLog().log,
  cluster: noCluster,
  signal: new AbortController().signal,
  ...overrides,
});

export const restoreInput = (
  item: KubeObject,
  overrides: Partial<Omit<RestoreItemActionInput, "item">> = {},
): RestoreItemActionInput => ({
  item,
  itemFromBackup: structuredClone(item),
  restore: restoreInfo(),
  log: recordingLog().log,
  cluster: noCluster,
  signal: new AbortController().signal,
  ...overrides,
});

/** A top-level field of the item an action returned; fails the test when it returned no item. */
export const field = <T>(out: { readonly item?: KubeObject } | undefined, key: string): T => {
  if (!out?.item) throw new Error("the action returned no item");
  return out.item[key] as T;
};

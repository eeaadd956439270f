import type { ApiGroup, ApiResource, Discovery } from "../../lib/kube/discovery.ts";
import { makeDiscovery } from "../../lib/kube/discovery.ts";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/** One ApiResource literal; verbs default to everything. */
export const apiResource = (
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: { shortNames?: string[]; verbs?: string[]; preferred?: boolean } = {},
): ApiResource => ({
  group,
  version,
  groupVersion: group ? `${group}/${version}` : version,
  resource,
  groupResource: group ? `${resource}.${group}` : resource,
  kind,
  singular: kind.toLowerCase(),
  namespaced,
  verbs: extra.verbs ?? ALL_VERBS,
  shortNames: extra.shortNames ?? [],
  categories: [],
  preferred: extra.preferred ?? true,
});

const NS = true;
const CLUSTER = false;

/** A cluster's resources; the core group deliberately does not start with pods. */
export const RESOURCES: ApiResource[] = [
  apiResource("", "v1", "namespaces", "Namespace", CLUSTER, { shortNames: ["ns"] }),
  apiResource("", "v1", "configmaps", "ConfigMap", NS, { shortNames: ["cm"] }),
  apiResource("", "v1", "events", "Event", NS, { shortNames: ["ev"] }),
  apiResource("", "v1", "persistentvolumes", "PersistentVolume", CLUSTER, { shortNames: ["pv"] }),
  apiResource("", "v1", "nodes", "Node", CLUSTER, { shortNames: ["no"] }),
  apiResource("", "v1", "pods", "Pod", NS, { shortNames: ["po"] }),
  apiResource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", NS, { shortNames: ["pvc"] }),
  apiResource("", "v1", "secrets", "Secret", NS),
  apiResource("", "v1", "serviceaccounts", "ServiceAccount", NS, { shortNames: ["sa"] }),
  apiResource("", "v1", "services", "Service", NS, { shortNames: ["svc"] }),
  apiResource("", "v1", "bindings", "Binding", NS, { verbs: ["create"] }),
  apiResource("", "v1", "componentstatuses", "ComponentStatus", CLUSTER, {
    shortNames: ["cs"],
    verbs: ["get", "list"],
  }),
  apiResource("extensions", "v1beta1", "deployments", "Deployment", NS),
  apiResource("extensions", "v1beta1", "daemonsets", "DaemonSet", NS),
  apiResource("extensions", "v1beta1", "networkpolicies", "NetworkPolicy", NS),
  apiResource("apps", "v1", "deployments", "Deployment", NS, { shortNames: ["deploy"] }),
  apiResource("apps", "v1", "daemonsets", "DaemonSet", NS, { shortNames: ["ds"] }),
  apiResource("apps", "v1", "replicasets", "ReplicaSet", NS, { shortNames: ["rs"] }),
  apiResource("apps", "v1", "statefulsets", "StatefulSet", NS, { shortNames: ["sts"] }),
  apiResource("events.k8s.io", "v1", "events", "Event", NS, { shortNames: ["ev"] }),
  apiResource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", NS, { shortNames: ["netpol"] }),
  apiResource("networking.k8s.io", "v1", "ingresses", "Ingress", NS, { shortNames: ["ing"] }),
  apiResource("batch", "v1", "jobs", "Job", NS),
  apiResource("batch", "v1", "cronjobs", "CronJob", NS, { shortNames: ["cj"] }),
  apiResource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", CLUSTER),
  apiResource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", CLUSTER),
  apiResource("storage.k8s.io", "v1", "storageclasses", "StorageClass", CLUSTER, { shortNames: ["sc"] }),
  apiResource("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", CLUSTER),
  apiResource(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    CLUSTER,
    {
      shortNames: ["crd", "crds"],
    },
  ),
  apiResource("velero.io", "v1", "backups", "Backup", NS),
  apiResource("velero.io", "v1", "datauploads", "DataUpload", NS),
  apiResource("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", CLUSTER, {
    shortNames: ["vsc"],
  }),
];

const group = (name: string, version: string): ApiGroup => ({
  name,
  versions: [version],
  preferredVersion: version,
});

export const GROUPS: ApiGroup[] = [
  group("", "v1"),
  group("apps", "v1"),
  group("events.k8s.io", "v1"),
  group("networking.k8s.io", "v1"),
  group("batch", "v1"),
  group("rbac.authorization.k8s.io", "v1"),
  group("storage.k8s.io", "v1"),
  group("apiextensions.k8s.io", "v1"),
  group("velero.io", "v1"),
  group("snapshot.storage.k8s.io", "v1"),
  // discover() moves the legacy group last, so unqualified names resolve to apps.
  group("extensions", "v1beta1"),
];

/** A fake discovery over {@link RESOURCES}, groups as `discover()` orders them. */
export const fakeDiscovery = (): Discovery => makeDiscovery(GROUPS, RESOURCES, []);

/** The same resources with `extensions` listed before `apps` (as the server sends them). */
export const serverOrderDiscovery = (): Discovery => {
  const extensions = GROUPS.find((g) => g.name === "extensions")!;
  const rest = GROUPS.filter((g) => g !== extensions);
  return makeDiscovery([rest[0]!, extensions, ...rest.slice(1)], RESOURCES, []);
};

/** The resource for a group-resource string; fails the test when missing. */
export const resourceOf = (discovery: Discovery, groupResource: string): ApiResource => {
  const r = discovery.forGroupResource(groupResource);
  if (!r) throw new Error(`fixture has no ${groupResource}`);
  return r;
};

import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster, KubeObject } from "../../lib/index.ts";
import { onCleanup } from "./cleanup.ts";
import { uniqueSuffix } from "./kube.ts";

/** Creates objects in order, returning them as the server answered. */
export const apply = async (cluster: Cluster, objects: KubeObject[]): Promise<KubeObject[]> => {
  const out: KubeObject[] = [];
  for (const object of objects) {
    const resource = (await cluster.discovery()).forKind(object.apiVersion ?? "", object.kind ?? "");
    if (!resource) throw new Error(`no resource for ${object.apiVersion} ${object.kind}`);
    out.push(await cluster.create(resource, object));
  }
  return out;
};

/** Polls until `probe` is truthy (30 s). */
export const eventually = async <T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
): Promise<T> => {
  for (let i = 0; i < 300; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** A CRD `widgets.<unique>.stowage.dev` (namespaced, v1), created and Established; deleted after the file. */
export const makeCrd = async (cluster: Cluster) => {
  const group = `w${uniqueSuffix()}.stowage.dev`;
  const name = `widgets.${group}`;
  await cluster.create("customresourcedefinitions", {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
    spec: {
      group,
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  });
  onCleanup(() => cluster.delete("customresourcedefinitions", name).catch(() => undefined));
  await eventually("CRD established", async () => {
    const crd = await cluster.get("customresourcedefinitions", name);
    const conditions = (crd.status as { conditions?: { type: string; status: string }[] })?.conditions ?? [];
    return conditions.some((c) => c.type === "Established" && c.status === "True");
  });
  await eventually("CRD discovered", async () => (await cluster.discovery({ refresh: true })).find(name));
  return { group, name, apiVersion: `${group}/v1`, groupResource: name };
};

/**
 * The nginx-example namespace of the Ark quickstart, grown to what the backup issue asks for:
 * Deployment (→ ReplicaSet, Pods), Service, ConfigMap, Secret, ServiceAccount, RoleBinding,
 * PVC bound to a Retain PV, and two custom resources.
 */
export const seedNginxExample = async (cluster: Cluster, namespace: string) => {
  const crd = await makeCrd(cluster);
  const pv = `pv-${namespace}`;
  onCleanup(() => cluster.delete("persistentvolumes", pv).catch(() => undefined));
  await apply(cluster, [
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: pv, labels: { app: "nginx" } },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        hostPath: { path: `/tmp/${pv}` },
        claimRef: { namespace, name: "nginx-logs" },
      },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "nginx-logs", namespace, labels: { app: "nginx" } },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "",
        volumeName: pv,
        resources: { requests: { storage: "1Gi" } },
      },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "nginx-conf", namespace, labels: { app: "nginx" } },
      data: { "nginx.conf": "events {}\n" },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "nginx-tls", namespace, labels: { app: "nginx" } },
      type: "Opaque",
      stringData: { key: "not-a-real-key" },
    },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "nginx", namespace, labels: { app: "nginx" } },
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "nginx-view", namespace, labels: { app: "nginx" } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "nginx", namespace }],
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "nginx-deployment", namespace, labels: { app: "nginx" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "nginx" } },
        template: {
          metadata: { labels: { app: "nginx" } },
          spec: {
            serviceAccountName: "nginx",
            containers: [
              {
                name: "nginx",
                image: "nginx:1.27",
                ports: [{ containerPort: 80 }],
                volumeMounts: [{ name: "logs", mountPath: "/var/log/nginx" }],
              },
            ],
            volumes: [{ name: "logs", persistentVolumeClaim: { claimName: "nginx-logs" } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "my-nginx", namespace, labels: { app: "nginx" } },
      spec: { type: "NodePort", selector: { app: "nginx" }, ports: [{ port: 80, targetPort: 80 }] },
    },
    {
      apiVersion: crd.apiVersion,
      kind: "Widget",
      metadata: { name: "widget-a", namespace, labels: { app: "nginx" } },
      spec: { size: 1 },
    },
    {
      apiVersion: crd.apiVersion,
      kind: "Widget",
      metadata: { name: "widget-b", namespace },
      spec: { size: 2 },
    },
  ]);
  // the controller-manager binds the claim and makes the ReplicaSet
  await eventually("PVC bound", async () => {
    const pvc = await cluster.get("persistentvolumeclaims", "nginx-logs", { namespace });
    return (pvc.status as { phase?: string })?.phase === "Bound";
  });
  const rs = await eventually(
    "ReplicaSet",
    async () => (await cluster.list("replicasets.apps", { namespace }))[0],
  );
  return { crd, pv, replicaSet: rs.metadata?.name ?? "" };
};

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ApiResource, makeDiscovery } from "../../lib/kube/discovery.ts";
import { archivePathOf, checkIdentity, scopeProblem } from "../../lib/restore/item-checks.ts";
import { orderGroupResources, parsePriorities } from "../../lib/restore/ordering.ts";
import { decidePv, preparePv } from "../../lib/restore/pv.ts";
import { addRestoreLabels, isIdentical, resetMetadata, validLabelValue } from "../../lib/restore/reset.ts";

const discovery = makeDiscovery([], [], []); // names compared literally

describe("restore building blocks", () => {
  test("Velero's order: priorities, then the rest alphabetically, then the low list", () => {
    const inBackup = [
      "widgets.example.io",
      "deployments.apps",
      "services",
      "configmaps",
      "persistentvolumes",
      "namespaces",
      "clusters.cluster.x-k8s.io",
      "customresourcedefinitions",
      "ingresses.networking.k8s.io",
      "persistentvolumeclaims",
    ];
    assert.deepEqual(orderGroupResources(inBackup, discovery), [
      "customresourcedefinitions",
      "namespaces",
      "persistentvolumes",
      "persistentvolumeclaims",
      "configmaps",
      "services",
      "deployments.apps",
      "ingresses.networking.k8s.io",
      "widgets.example.io",
      "clusters.cluster.x-k8s.io",
    ]);
    // a per-restore override, in velero's "-" separated form
    assert.deepEqual(
      orderGroupResources(inBackup, discovery, parsePriorities("services,configmaps,-,namespaces")),
      [
        "services",
        "configmaps",
        "clusters.cluster.x-k8s.io",
        "customresourcedefinitions",
        "deployments.apps",
        "ingresses.networking.k8s.io",
        "persistentvolumeclaims",
        "persistentvolumes",
        "widgets.example.io",
        "namespaces",
      ],
    );
  });

  test("metadata reset leaves the backed-up item as it was", () => {
    const item = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a", uid: "u", resourceVersion: "1", labels: { l: "1" } },
      data: { k: "v" },
      status: { phase: "x" },
    };
    const before = structuredClone(item);
    const reset = resetMetadata(item);
    reset.metadata = { ...reset.metadata, namespace: "other" };
    assert.deepEqual(item, before);
    assert.notEqual(reset.metadata, item.metadata);
  });

  test("metadata reset removes Velero's nine keys and status, keeps the rest", () => {
    const reset = resetMetadata({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "a",
        namespace: "n",
        generateName: "a-",
        selfLink: "/x",
        uid: "u",
        resourceVersion: "1",
        generation: 2,
        creationTimestamp: "t",
        deletionTimestamp: "t",
        deletionGracePeriodSeconds: 3,
        ownerReferences: [{}],
        labels: { l: "1" },
        annotations: { a: "1" },
        finalizers: ["f"],
        managedFields: [{ manager: "m" }],
      },
      data: { k: "v" },
      status: { phase: "x" },
    });
    assert.deepEqual(reset, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "a",
        namespace: "n",
        labels: { l: "1" },
        annotations: { a: "1" },
        finalizers: ["f"],
        managedFields: [{ manager: "m" }],
      },
      data: { k: "v" },
    });
  });

  test("restore labels follow the 63-character rule", () => {
    const long = "x".repeat(70);
    assert.equal(validLabelValue("short"), "short");
    assert.equal(validLabelValue(long).length, 63);
    assert.match(validLabelValue(long), /^x{57}[0-9a-f]{6}$/);
    const labelled = addRestoreLabels({ metadata: { name: "a", labels: { keep: "me" } } }, long, "r");
    assert.deepEqual(labelled.metadata?.labels, {
      keep: "me",
      "velero.io/backup-name": validLabelValue(long),
      "velero.io/restore-name": "r",
    });
  });

  test("identical means equal after reset and labels; any changed field differs", () => {
    const backed = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "a", uid: "old", labels: { x: "1" } },
      data: { k: "v" },
    };
    const desired = addRestoreLabels(resetMetadata(backed), "b", "r");
    const live = {
      ...backed,
      metadata: { ...backed.metadata, uid: "new", resourceVersion: "9", managedFields: [{}] },
    };
    assert.equal(isIdentical(live, desired, "b", "r"), true);
    assert.equal(isIdentical({ ...live, data: { k: "w" } }, desired, "b", "r"), false);
    assert.equal(isIdentical({ ...live, data: { k: "v", extra: "1" } }, desired, "b", "r"), false);
  });

  test("PVs: Delete left to provisioning, Retain restored with claimRef remapped and binding reset", () => {
    const pv = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: {
        name: "pv1",
        annotations: {
          "pv.kubernetes.io/bound-by-controller": "yes",
          "pv.kubernetes.io/bind-completed": "yes",
          keep: "1",
        },
      },
      spec: {
        persistentVolumeReclaimPolicy: "Retain",
        claimRef: {
          namespace: "shop",
          name: "data",
          uid: "u",
          resourceVersion: "5",
          kind: "PersistentVolumeClaim",
        },
      },
    };
    assert.equal(decidePv(pv).restore, true);
    assert.equal(
      decidePv({ ...pv, spec: { ...pv.spec, persistentVolumeReclaimPolicy: "Delete" } }).restore,
      false,
    );
    const prepared = preparePv(pv, { shop: "shop-restored" });
    assert.deepEqual(prepared.metadata?.annotations, { keep: "1" });
    assert.deepEqual((prepared.spec as { claimRef: unknown }).claimRef, {
      namespace: "shop-restored",
      name: "data",
      kind: "PersistentVolumeClaim",
    });
    assert.equal((pv.spec.claimRef as { uid?: string }).uid, "u", "the input is not mutated");
  });
});

describe("item checks: what a restore refuses to believe from an archive", () => {
  const resource = (namespaced: boolean) => ({ namespaced }) as ApiResource;
  const filed = { groupResource: "configmaps", namespace: "shop", name: "a" };

  test("the archive path of an item, namespaced or cluster-scoped", () => {
    assert.equal(archivePathOf(filed), "resources/configmaps/namespaces/shop/a.json");
    assert.equal(archivePathOf({ groupResource: "nodes", name: "n" }), "resources/nodes/cluster/n.json");
  });

  test("scope: the cluster's discovery decides; unserved resources are not judged here", () => {
    assert.equal(scopeProblem(filed, resource(true)), undefined);
    assert.equal(scopeProblem({ groupResource: "nodes", name: "n" }, resource(false)), undefined);
    assert.equal(scopeProblem(filed, undefined), undefined);
    assert.match(
      scopeProblem(filed, resource(false)) ?? "",
      /^refusing archive item "resources\/configmaps\/namespaces\/shop\/a\.json": configmaps is cluster-scoped/,
    );
    assert.match(
      scopeProblem({ groupResource: "configmaps", name: "a" }, resource(true)) ?? "",
      /"resources\/configmaps\/cluster\/a\.json": configmaps is namespaced/,
    );
  });

  test("identity: an object with the path's name and (when set) namespace", () => {
    const item = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "shop" } };
    assert.equal(checkIdentity(filed, item), item);
    assert.equal(typeof checkIdentity(filed, { ...item, metadata: { name: "a" } }), "object");
    assert.match(String(checkIdentity(filed, null)), /expected a JSON object .*received null/);
    assert.match(String(checkIdentity(filed, [1])), /received an array of 1/);
    assert.match(
      String(checkIdentity(filed, { metadata: {} })),
      /metadata\.name is missing but its path names "a"/,
    );
    assert.match(
      String(checkIdentity(filed, { metadata: { name: "b", namespace: "shop" } })),
      /metadata\.name is "b" but its path names "a"/,
    );
    assert.match(
      String(checkIdentity(filed, { metadata: { name: "a", namespace: "kube-system" } })),
      /metadata\.namespace is "kube-system" but its path names namespace "shop"/,
    );
  });
});

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  backup,
  type Cluster,
  getRestore,
  isNotFound,
  type KubeObject,
  listRestores,
  restore,
} from "../../lib/index.ts";
import { eventually, seedNginxExample } from "../support/fixtures.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

const VELERO_LABELS = ["velero.io/backup-name", "velero.io/restore-name"];

/** What must survive a backup and restore: spec/data/labels/annotations (restore labels aside). */
const essence = (o: KubeObject): Record<string, unknown> => {
  const labels = { ...o.metadata?.labels };
  for (const key of VELERO_LABELS) delete labels[key];
  const annotations = { ...o.metadata?.annotations };
  delete annotations["pv.kubernetes.io/bind-completed"];
  delete annotations["pv.kubernetes.io/bound-by-controller"];
  delete annotations["deployment.kubernetes.io/revision"];
  const { metadata: _m, status: _s, ...rest } = o;
  return { name: o.metadata?.name, labels, annotations, ...rest };
};

const gone = async (cluster: Cluster, resource: string, name: string) =>
  eventually(`${resource} ${name} deleted`, async () => {
    try {
      await cluster.get(resource, name);
      return false;
    } catch (error) {
      return isNotFound(error);
    }
  });

describe("restore(): the Ark quickstart", () => {
  test("backup → delete the namespace and its PV → restore: every object is back as it was", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "qs");
    const seeded = await seedNginxExample(cluster, ns);
    const store = tempFsStore();
    const b = await backup({ cluster, store, name: `${ns}-backup`, includedNamespaces: [ns] });
    assert.equal(b.phase, "Completed");

    const kinds: Array<[string, string]> = [
      ["deployments.apps", "nginx-deployment"],
      ["services", "my-nginx"],
      ["configmaps", "nginx-conf"],
      ["secrets", "nginx-tls"],
      ["serviceaccounts", "nginx"],
      ["rolebindings.rbac.authorization.k8s.io", "nginx-view"],
      ["persistentvolumeclaims", "nginx-logs"],
      [seeded.crd.groupResource, "widget-a"],
      [seeded.crd.groupResource, "widget-b"],
    ];
    const before = new Map<string, KubeObject>();
    for (const [resource, name] of kinds)
      before.set(`${resource}/${name}`, await cluster.get(resource, name, { namespace: ns }));
    const pvBefore = await cluster.get("persistentvolumes", seeded.pv);

    await cluster.delete("namespaces", ns);
    await gone(cluster, "namespaces", ns);
    await cluster.delete("persistentvolumes", seeded.pv);
    await gone(cluster, "persistentvolumes", seeded.pv);

    const r = await restore({ cluster, store, backupName: `${ns}-backup` });
    assert.equal(r.phase, "Completed", JSON.stringify(r.errors));
    assert.equal(r.counts.errors, 0);
    assert.match(r.name, new RegExp(`^${ns}-backup-\\d{14}$`));

    for (const [resource, name] of kinds) {
      const after = await cluster.get(resource, name, { namespace: ns });
      const original = before.get(`${resource}/${name}`)!;
      const a = essence(after);
      const o = essence(original);
      if (resource === "services") {
        const spec = after.spec as { clusterIP?: string; ports?: { nodePort?: number }[] };
        const old = original.spec as { clusterIP?: string; ports?: { nodePort?: number }[] };
        assert.ok(spec.clusterIP && spec.clusterIP !== old.clusterIP, "the Service got a fresh clusterIP");
        for (const s of [a.spec, o.spec] as Array<Record<string, unknown>>) {
          delete s.clusterIP;
          delete s.clusterIPs;
          for (const p of (s.ports as Record<string, unknown>[]) ?? []) delete p.nodePort;
        }
      }
      assert.deepEqual(a, o, `${resource} ${name} equals the original`);
      assert.equal(after.metadata?.labels?.["velero.io/backup-name"], `${ns}-backup`);
      assert.equal(after.metadata?.labels?.["velero.io/restore-name"], r.name);
    }
    const pvAfter = await cluster.get("persistentvolumes", seeded.pv);
    assert.deepEqual(
      (pvAfter.spec as { hostPath?: unknown }).hostPath,
      (pvBefore.spec as { hostPath?: unknown }).hostPath,
    );
    const pvc = await eventually("restored PVC bound to the restored PV", async () => {
      const claim = await cluster.get("persistentvolumeclaims", "nginx-logs", { namespace: ns });
      return (claim.status as { phase?: string }).phase === "Bound" && claim;
    });
    const boundPv = await cluster.get("persistentvolumes", seeded.pv);
    const claimRef = (boundPv.spec as { claimRef?: { uid?: string } }).claimRef;
    assert.equal(claimRef?.uid, pvc.metadata?.uid, "the PV is bound to the restored claim, not the old uid");
    assert.notEqual(claimRef?.uid, (pvBefore.spec as { claimRef?: { uid?: string } }).claimRef?.uid);
    const namespace = await cluster.get("namespaces", ns);
    assert.equal(
      namespace.metadata?.labels?.["velero.io/restore-name"],
      undefined,
      "namespaces get no restore labels",
    );

    // the restore is recorded in the store
    const recorded = await getRestore(store, r.name);
    assert.equal(recorded.restore.status.phase, "Completed");
    assert.equal(recorded.restore.spec.backupName, `${ns}-backup`);
    assert.deepEqual(recorded.results, { errors: {}, warnings: {} });
    assert.deepEqual(
      (await listRestores(store)).map((x) => x.metadata.name),
      [r.name],
    );
    // restore order: CRD before namespace before PV before PVC before the rest
    const order = r.plan.map((e) => e.resource);
    const first = (gr: string) => order.indexOf(gr);
    assert.ok(first("customresourcedefinitions.apiextensions.k8s.io") < first("namespaces"));
    assert.ok(first("namespaces") < first("persistentvolumes"));
    assert.ok(first("persistentvolumes") < first("persistentvolumeclaims"));
    assert.ok(first("persistentvolumeclaims") < first("serviceaccounts"));
    assert.ok(first("configmaps") < first("pods"));
    assert.ok(first("services") < first("deployments.apps"), "then the rest, alphabetically");
  });
});

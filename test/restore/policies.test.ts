import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backup, restore, ValidationError } from "../../lib/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

describe("restore() policies", () => {
  test("namespaceMapping into a second namespace while the original exists: both exist, RoleBinding subjects remapped", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "map");
    await cluster.create(
      "serviceaccounts",
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "app" } },
      { namespace: ns },
    );
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } },
      { namespace: ns },
    );
    await cluster.create(
      "rolebindings",
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "app-view" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [
          { kind: "ServiceAccount", name: "app", namespace: ns },
          { kind: "ServiceAccount", name: "elsewhere", namespace: "kube-system" },
        ],
      },
      { namespace: ns },
    );
    const store = tempFsStore();
    await backup({ cluster, store, name: "map", includedNamespaces: [ns] });
    const target = `${ns}-copy`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const r = await restore({ cluster, store, backupName: "map", namespaceMapping: { [ns]: target } });
    assert.equal(r.phase, "Completed", JSON.stringify(r.errors));
    assert.ok(await cluster.get("configmaps", "settings", { namespace: ns }), "the original is untouched");
    assert.deepEqual((await cluster.get("configmaps", "settings", { namespace: target })).data, { a: "1" });
    const rb = await cluster.get("rolebindings", "app-view", { namespace: target });
    assert.deepEqual(
      (rb.subjects as { namespace: string }[]).map((s) => s.namespace),
      [target, "kube-system"],
    );
    const entry = r.plan.find((e) => e.resource === "configmaps" && e.name === "settings");
    assert.deepEqual(entry, {
      resource: "configmaps",
      namespace: target,
      name: "settings",
      sourceNamespace: ns,
      action: "create",
    });
    const mappedNs = r.plan.find((e) => e.resource === "namespaces");
    assert.equal(mappedNs?.name, target);
  });

  test("existingResourcePolicy: none warns and leaves a changed ConfigMap; update merge-patches it back", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "pol");
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { level: "info" } },
      { namespace: ns },
    );
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "same" }, data: { x: "y" } },
      { namespace: ns },
    );
    const store = tempFsStore();
    await backup({
      cluster,
      store,
      name: "pol",
      includedNamespaces: [ns],
      includedResources: ["configmaps"],
    });
    await cluster.patch("configmaps", "cfg", { data: { level: "debug" } }, { namespace: ns });

    const none = await restore({
      cluster,
      store,
      backupName: "pol",
      name: "pol-none",
      existingResourcePolicy: "none",
    });
    assert.equal(none.phase, "Completed", "existing objects are warnings, not errors");
    assert.equal(none.counts.errors, 0);
    const warnings = none.warnings.namespaces?.[ns] ?? [];
    assert.ok(
      warnings.some((w) => /cfg/.test(w) && /already exists/.test(w) && /different/.test(w)),
      JSON.stringify(warnings),
    );
    assert.ok(!warnings.some((w) => /"same"/.test(w)), "an identical object is skipped quietly");
    assert.equal(none.plan.find((e) => e.name === "cfg")?.action, "conflict");
    assert.deepEqual(none.plan.find((e) => e.name === "same")?.action, "skip");
    assert.deepEqual((await cluster.get("configmaps", "cfg", { namespace: ns })).data, { level: "debug" });

    const update = await restore({
      cluster,
      store,
      backupName: "pol",
      name: "pol-update",
      existingResourcePolicy: "update",
    });
    assert.equal(update.plan.find((e) => e.name === "cfg")?.action, "update");
    const patched = await cluster.get("configmaps", "cfg", { namespace: ns });
    assert.deepEqual(patched.data, { level: "info" });
    assert.equal(patched.metadata?.labels?.["velero.io/restore-name"], "pol-update");
  });

  test("invalid options → one ValidationError naming every problem, nothing restored", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    await assert.rejects(
      restore({
        cluster,
        store,
        // neither backupName nor scheduleName
        existingResourcePolicy: "overwrite" as "update",
        includedResources: ["nodes"],
        labelSelector: "a=b",
        orLabelSelectors: ["c=d"],
        namespaceMapping: { shop: `Bad_${uniqueSuffix()}` },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        const text = error.message;
        for (const pattern of [
          /backupName and scheduleName/,
          /existingResourcePolicy/,
          /nodes/,
          /mutually exclusive/,
          /namespaceMapping/,
        ]) {
          assert.match(text, pattern);
        }
        return true;
      },
    );
    await assert.rejects(
      restore({ cluster, store, backupName: "missing" }),
      (error: unknown) => (error as { code?: string }).code === "ERR_NOT_FOUND",
    );
  });

  test("scheduleName restores the newest Completed backup of that schedule", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "sch");
    const store = tempFsStore();
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "v" }, data: { n: "1" } },
      { namespace: ns },
    );
    await backup({
      cluster,
      store,
      name: "nightly-20261120020000",
      includedNamespaces: [ns],
      labels: { "velero.io/schedule-name": "nightly" },
    });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await cluster.patch("configmaps", "v", { data: { n: "2" } }, { namespace: ns });
    await backup({
      cluster,
      store,
      name: "nightly-20261121020000",
      includedNamespaces: [ns],
      labels: { "velero.io/schedule-name": "nightly" },
    });
    await backup({
      cluster,
      store,
      name: "other-20261122020000",
      includedNamespaces: [ns],
      labels: { "velero.io/schedule-name": "other" },
    });
    const target = `${ns}-r`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const r = await restore({ cluster, store, scheduleName: "nightly", namespaceMapping: { [ns]: target } });
    assert.equal(r.backupName, "nightly-20261121020000");
    assert.deepEqual((await cluster.get("configmaps", "v", { namespace: target })).data, { n: "2" });
  });
});

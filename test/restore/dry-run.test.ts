import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backup, type PlanEntry, restore } from "../../lib/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

const key = (e: PlanEntry) => `${e.resource} ${e.namespace ?? ""}/${e.name} ${e.action}`;

describe("restore({ dryRun: true }): the plan", () => {
  test("lists exactly what the real restore then does, and writes nothing", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "plan");
    for (const name of ["a", "b", "c"]) {
      await cluster.create(
        "configmaps",
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name, labels: { keep: name === "c" ? "no" : "yes" } },
          data: { name },
        },
        { namespace: ns },
      );
    }
    await cluster.create(
      "secrets",
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s", labels: { keep: "yes" } },
        stringData: { k: "v" },
      },
      { namespace: ns },
    );
    const store = tempFsStore();
    await backup({ cluster, store, name: "plan", includedNamespaces: [ns] });
    // make one object differ and delete another, so the plan has every kind of action
    await cluster.patch("configmaps", "a", { data: { name: "changed" } }, { namespace: ns });
    await cluster.delete("configmaps", "b", { namespace: ns });

    const options = { cluster, store, backupName: "plan", labelSelector: "keep=yes" } as const;
    const plan = await restore({ ...options, dryRun: true });
    assert.equal(plan.dryRun, true);
    const byName = new Map(plan.plan.map((e) => [`${e.resource}/${e.name}`, e]));
    assert.equal(byName.get("configmaps/a")?.action, "conflict");
    assert.equal(byName.get("configmaps/b")?.action, "create");
    assert.equal(byName.get("configmaps/b")?.reason, undefined, "validated by the server's dry run");
    assert.equal(byName.get("configmaps/c")?.action, "skip");
    assert.match(byName.get("configmaps/c")?.reason ?? "", /filtered: labels/);
    assert.equal(byName.get("secrets/s")?.action, "skip");
    assert.match(byName.get("secrets/s")?.reason ?? "", /identical/);
    // nothing written: b still absent, a still changed, no restore in the store
    assert.equal(await cluster.tryGet("configmaps", "b", { namespace: ns }), undefined);
    assert.deepEqual((await cluster.get("configmaps", "a", { namespace: ns })).data, { name: "changed" });
    const keys: string[] = [];
    for await (const k of store.list("restores/")) keys.push(k);
    assert.deepEqual(keys, []);

    const real = await restore({ ...options, name: "plan-real" });
    assert.deepEqual(
      real.plan.map(key).sort(),
      plan.plan.map(key).sort(),
      "the real restore did what the plan said",
    );
    assert.deepEqual((await cluster.get("configmaps", "b", { namespace: ns })).data, { name: "b" });
  });

  test("admission errors show in the plan before anything is written", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "adm");
    await cluster.create(
      "configmaps",
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "big", labels: { tier: "forbidden" } },
        data: { x: "1" },
      },
      { namespace: ns },
    );
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "fine" }, data: { x: "1" } },
      { namespace: ns },
    );
    const store = tempFsStore();
    await backup({
      cluster,
      store,
      name: "adm",
      includedNamespaces: [ns],
      includedResources: ["configmaps"],
    });
    await cluster.delete("configmaps", "big", { namespace: ns });
    await cluster.delete("configmaps", "fine", { namespace: ns });
    // a real admission check: a ValidatingAdmissionPolicy that refuses tier=forbidden in this namespace
    const policy = `deny-forbidden-${ns}`;
    await cluster.create("validatingadmissionpolicies", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: policy },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] },
          ],
        },
        validations: [
          {
            expression:
              "!has(object.metadata.labels) || !('tier' in object.metadata.labels) || object.metadata.labels['tier'] != 'forbidden'",
            message: "tier=forbidden is not allowed here",
          },
        ],
      },
    });
    onCleanup(() => cluster.delete("validatingadmissionpolicies", policy).catch(() => undefined));
    await cluster.create("validatingadmissionpolicybindings", {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: policy },
      spec: {
        policyName: policy,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } },
      },
    });
    onCleanup(() => cluster.delete("validatingadmissionpolicybindings", policy).catch(() => undefined));
    let plan = await restore({ cluster, store, backupName: "adm", dryRun: true });
    for (let i = 0; i < 50 && plan.plan.find((e) => e.name === "big")?.action !== "fail"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200)); // the policy takes a moment to be enforced
      plan = await restore({ cluster, store, backupName: "adm", dryRun: true });
    }
    const big = plan.plan.find((e) => e.name === "big");
    assert.equal(big?.action, "fail");
    assert.match(big?.reason ?? "", /tier=forbidden is not allowed here/);
    assert.equal(plan.plan.find((e) => e.name === "fine")?.action, "create");
    assert.equal(
      await cluster.tryGet("configmaps", "fine", { namespace: ns }),
      undefined,
      "a dry run creates nothing",
    );
  });
});

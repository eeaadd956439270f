import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ValidationError } from "../../lib/index.ts";
import { connectTest, uniqueSuffix } from "../support/kube.ts";

describe("discovery against the real apiserver", () => {
  test("lists core, apps, batch, rbac and apiextensions resources with scope and preferred version", async () => {
    const cluster = await connectTest();
    const discovery = await cluster.discovery();
    const expect: Array<[string, string, string, boolean]> = [
      // groupResource, groupVersion, kind, namespaced
      ["pods", "v1", "Pod", true],
      ["namespaces", "v1", "Namespace", false],
      ["persistentvolumes", "v1", "PersistentVolume", false],
      ["configmaps", "v1", "ConfigMap", true],
      ["deployments.apps", "apps/v1", "Deployment", true],
      ["jobs.batch", "batch/v1", "Job", true],
      ["cronjobs.batch", "batch/v1", "CronJob", true],
      ["clusterroles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io/v1", "ClusterRole", false],
      ["rolebindings.rbac.authorization.k8s.io", "rbac.authorization.k8s.io/v1", "RoleBinding", true],
      [
        "customresourcedefinitions.apiextensions.k8s.io",
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        false,
      ],
    ];
    for (const [gr, gv, kind, namespaced] of expect) {
      const r = discovery.forGroupResource(gr);
      assert.ok(r, `${gr} is discovered`);
      assert.equal(r.groupVersion, gv, `${gr} preferred version`);
      assert.equal(r.kind, kind);
      assert.equal(r.namespaced, namespaced, `${gr} scope`);
      assert.equal(r.preferred, true);
      for (const verb of ["list", "create", "get", "delete"])
        assert.ok(r.verbs.includes(verb), `${gr} ${verb}`);
    }
    // subresources never appear as resources
    assert.ok(discovery.resources.every((r) => !r.resource.includes("/")));
    // preferredResources has each group-resource once
    const names = discovery.preferredResources().map((r) => r.groupResource);
    assert.equal(new Set(names).size, names.length);
  });

  test("resolves user-given names: short, plural, singular, kind, qualified", async () => {
    const discovery = await (await connectTest()).discovery();
    const cases: Array<[string, string]> = [
      ["deploy", "deployments.apps"],
      ["deployments", "deployments.apps"],
      ["deployment", "deployments.apps"],
      ["Deployment", "deployments.apps"],
      ["deployments.apps", "deployments.apps"],
      ["deployments.v1.apps", "deployments.apps"],
      ["cm", "configmaps"],
      ["po", "pods"],
      ["pvc", "persistentvolumeclaims"],
      ["ns", "namespaces"],
      ["crd", "customresourcedefinitions.apiextensions.k8s.io"],
      ["clusterrolebinding", "clusterrolebindings.rbac.authorization.k8s.io"],
      ["events", "events"], // core wins over events.k8s.io, as kubectl does
      ["events.events.k8s.io", "events.events.k8s.io"],
    ];
    for (const [input, expected] of cases)
      assert.equal(discovery.resolve(input).groupResource, expected, input);
    assert.throws(
      () => discovery.resolve("deploymints"),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, /"deploymints" is not served by this cluster/);
        return true;
      },
    );
  });

  test("a CRD created during the test appears after refresh, with its served versions", async () => {
    const cluster = await connectTest();
    const suffix = uniqueSuffix();
    const group = `disc${suffix}.stowage.dev`;
    const plural = "widgets";
    const before = await cluster.discovery({ refresh: true });
    assert.equal(before.find(`${plural}.${group}`), undefined);
    await cluster.create("customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural, singular: "widget", kind: "Widget", shortNames: [`wd${suffix}`] },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
          {
            name: "v1beta1",
            served: true,
            storage: false,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    });
    try {
      let found = undefined as ReturnType<typeof before.find>;
      for (let i = 0; i < 100 && !found; i++) {
        found = (await cluster.discovery({ refresh: true })).find(`${plural}.${group}`);
        if (!found) await sleep(100);
      }
      assert.ok(found, "CRD visible after refresh");
      assert.equal(found.groupVersion, `${group}/v1`);
      assert.equal(found.namespaced, true);
      const discovery = await cluster.discovery();
      const served = discovery.resources
        .filter((r) => r.group === group)
        .map((r) => r.version)
        .sort();
      assert.deepEqual(served, ["v1", "v1beta1"]);
      assert.deepEqual(discovery.groups.find((g) => g.name === group)?.preferredVersion, "v1");
      assert.equal(discovery.resolve(`wd${suffix}`).groupResource, `${plural}.${group}`);
    } finally {
      await cluster.delete("customresourcedefinitions", `${plural}.${group}`);
    }
  });
});

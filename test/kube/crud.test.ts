import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from "../../lib/index.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";

describe("get/create/update/patch/delete against the real apiserver", () => {
  test("namespaced round trip: create → get → patch (merge, json, strategic, apply) → delete", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "crud");
    const created = await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm1", namespace },
      data: { a: "1" },
    });
    assert.ok(created.metadata?.uid);
    const got = await cluster.get("cm", "cm1", { namespace });
    assert.deepEqual(got.data, { a: "1" });

    await cluster.patch("configmaps", "cm1", { data: { b: "2" } }, { namespace });
    await cluster.patch("configmaps", "cm1", [{ op: "add", path: "/data/c", value: "3" }], {
      namespace,
      type: "json",
    });
    await cluster.patch("configmaps", "cm1", { data: { d: "4" } }, { namespace, type: "strategic" });
    await cluster.patch(
      "configmaps",
      "cm1",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1", namespace }, data: { e: "5" } },
      { namespace, type: "apply", fieldManager: "stowage-test", force: true },
    );
    const patched = await cluster.get("configmaps", "cm1", { namespace });
    assert.deepEqual(patched.data, { a: "1", b: "2", c: "3", d: "4", e: "5" });

    // update with a stale resourceVersion → typed Conflict
    await assert.rejects(
      cluster.update("configmaps", { ...created, data: { x: "y" } }, { namespace }),
      (error: unknown) =>
        error instanceof ConflictError && error.status === 409 && error.code === "ERR_CONFLICT",
    );

    await assert.rejects(
      cluster.create("configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cm1", namespace },
      }),
      (error: unknown) => error instanceof AlreadyExistsError && error.reason === "AlreadyExists",
    );
    await cluster.delete("configmaps", "cm1", { namespace });
    await assert.rejects(
      cluster.get("configmaps", "cm1", { namespace }),
      (error: unknown) =>
        error instanceof NotFoundError && error.code === "ERR_NOT_FOUND" && /cm1/.test(error.message),
    );
    assert.equal(await cluster.tryGet("configmaps", "cm1", { namespace }), undefined);
    await assert.rejects(cluster.delete("configmaps", "cm1", { namespace }), NotFoundError);
  });

  test("cluster-scoped round trip, and the server's causes on an invalid object", async () => {
    const cluster = await connectTest();
    const name = `stowage-test-${uniqueSuffix()}`;
    await cluster.create("clusterroles", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name, labels: { a: "b" } },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }],
    });
    const patched = await cluster.patch("clusterrole", name, { metadata: { labels: { c: "d" } } });
    assert.deepEqual(patched.metadata?.labels, { a: "b", c: "d" });
    await assert.rejects(
      cluster.create("clusterroles", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name },
      }),
      AlreadyExistsError,
    );
    await cluster.delete("clusterroles", name);
    await assert.rejects(cluster.get("clusterroles", name), NotFoundError);

    await assert.rejects(
      cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Not_A_Valid_Name" } },
        { namespace: "default" },
      ),
      (error: unknown) => {
        assert.ok(error instanceof InvalidError);
        assert.equal(error.status, 422);
        assert.ok(
          error.causes.some((c) => c.field === "metadata.name"),
          JSON.stringify(error.causes),
        );
        return true;
      },
    );
  });

  test("server-side dry run validates and persists nothing", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "dryrun");
    const object = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "dry", namespace },
      data: { k: "v" },
    };
    const answer = await cluster.create("configmaps", object, { dryRun: true });
    assert.equal(answer.metadata?.name, "dry");
    assert.equal(await cluster.tryGet("configmaps", "dry", { namespace }), undefined);
    await cluster.create("configmaps", object);
    await cluster.delete("configmaps", "dry", { namespace, dryRun: true });
    assert.ok(await cluster.tryGet("configmaps", "dry", { namespace }));
  });
});

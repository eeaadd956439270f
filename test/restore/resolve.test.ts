import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import type { Cluster } from "../../lib/kube/client.ts";
import { resolveRestoreOptions } from "../../lib/restore/resolve.ts";
import type { ObjectStore } from "../../lib/store/object-store.ts";
import { fakeDiscovery } from "../filters/fixtures.ts";

// never used: the normaliser reads nothing
const cluster = {} as Cluster;
const store = {} as ObjectStore;

describe("resolveRestoreOptions", () => {
  test("one ValidationError lists every problem, each naming its option", () => {
    try {
      resolveRestoreOptions(
        {
          cluster,
          store,
          name: "Not_A_Name",
          existingResourcePolicy: "replace" as "update",
          namespaceMapping: { shop: "Bad_NS" },
          concurrency: 0,
        },
        fakeDiscovery(),
      );
      assert.fail("expected a ValidationError");
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.problems.length, 5);
      assert.match(error.problems[0]!, /exactly one of backupName and scheduleName/);
      assert.match(error.problems[1]!, /existingResourcePolicy/);
      assert.match(error.problems[2]!, /^name: /);
      assert.match(error.problems[3]!, /^namespaceMapping shop:Bad_NS: /);
      assert.match(error.problems[4]!, /^concurrency must be a positive integer, got 0 \(number\)$/);
    }
  });

  test("namespaceMapping keys and values must be namespace names; crdTimeoutMs a finite number ≥ 0", () => {
    try {
      resolveRestoreOptions(
        {
          cluster,
          store,
          backupName: "b1",
          namespaceMapping: {
            shop: "shop-copy",
            "Shop.Old": "shop2",
            web: "web.copy",
            "*": "all",
            ["a".repeat(64)]: "ok",
          },
          crdTimeoutMs: Number.POSITIVE_INFINITY,
        },
        fakeDiscovery(),
      );
      assert.fail("expected a ValidationError");
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.problems.length, 5, error.message);
      assert.match(
        error.problems[0]!,
        /^namespaceMapping Shop.Old:shop2: the backed-up namespace "Shop.Old" must be a DNS-1123 label/,
      );
      assert.match(
        error.problems[1]!,
        /^namespaceMapping web:web.copy: the target namespace "web.copy" must be a DNS-1123 label/,
      );
      assert.match(error.problems[2]!, /^namespaceMapping \*:all: the backed-up namespace "\*"/);
      assert.match(error.problems[3]!, /^namespaceMapping a{64}:ok: the backed-up namespace/);
      assert.equal(
        error.problems[4],
        "crdTimeoutMs must be a finite number of at least 0, got Infinity (number)",
      );
    }
    for (const crdTimeoutMs of [-1, Number.NaN, "5" as unknown as number]) {
      assert.throws(
        () => resolveRestoreOptions({ cluster, store, backupName: "b1", crdTimeoutMs }, fakeDiscovery()),
        (error: unknown) =>
          error instanceof ValidationError &&
          /^crdTimeoutMs must be a finite number of at least 0/.test(error.problems[0]!),
        String(crdTimeoutMs),
      );
    }
    assert.equal(
      resolveRestoreOptions({ cluster, store, backupName: "b1", crdTimeoutMs: 0 }, fakeDiscovery())
        .crdTimeoutMs,
      0,
    );
    assert.equal(
      resolveRestoreOptions({ cluster, store, backupName: "b1", crdTimeoutMs: 2500 }, fakeDiscovery())
        .crdTimeoutMs,
      2500,
    );
  });

  test("defaults, and the spec recorded in Velero's field order", () => {
    const resolved = resolveRestoreOptions(
      { cluster, store, backupName: "b1", namespaceMapping: { shop: "shop2" }, restorePVs: false },
      fakeDiscovery(),
    );
    assert.deepEqual(resolved.source, { backupName: "b1" });
    assert.equal(resolved.policy, "none");
    assert.equal(resolved.dryRun, false);
    assert.equal(resolved.concurrency, 16);
    assert.equal(resolved.crdTimeoutMs, 60_000);
    assert.equal(resolved.snapshotTimeoutMs, 600_000);
    assert.equal(resolved.opensSnapshotLocations, false);
    assert.equal(resolved.restoresStatus("pods"), false);
    assert.deepEqual(Object.keys(resolved.spec), ["includedNamespaces", "namespaceMapping", "restorePVs"]);
    assert.deepEqual(resolved.spec.includedNamespaces, ["*"]);
  });

  test("the input is copied: later changes to it do not reach the run", () => {
    const namespaceMapping: Record<string, string> = { shop: "shop2" };
    const resolved = resolveRestoreOptions(
      { cluster, store, backupName: "b1", namespaceMapping },
      fakeDiscovery(),
    );
    namespaceMapping.other = "x";
    assert.deepEqual(resolved.namespaceMapping, { shop: "shop2" });
  });
});

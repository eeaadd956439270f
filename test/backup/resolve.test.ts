import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createProgressReporter } from "../../lib/backup/progress.ts";
import { resolveBackupOptions } from "../../lib/backup/resolve.ts";
import { ValidationError } from "../../lib/errors.ts";
import type { Cluster } from "../../lib/kube/client.ts";
import type { ObjectStore } from "../../lib/store/object-store.ts";
import { fakeDiscovery } from "../filters/fixtures.ts";

// never used: the normaliser reads nothing
const cluster = {} as Cluster;
const store = {} as ObjectStore;

describe("resolveBackupOptions", () => {
  test("one ValidationError lists every problem, each naming its option", () => {
    try {
      resolveBackupOptions(
        { cluster, store, name: "Bad_Name", ttl: "forever", snapshotTimeoutMs: -1, pageSize: 1.5 },
        fakeDiscovery(),
      );
      assert.fail("expected a ValidationError");
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.match(error.message, /^invalid backup "Bad_Name" options:/);
      assert.equal(error.problems.length, 4);
      assert.match(error.problems[0]!, /^name: /);
      assert.match(error.problems[1]!, /^ttl "forever" is not a duration/);
      assert.equal(error.problems[2], "snapshotTimeoutMs must be a positive number, got -1");
      assert.equal(error.problems[3], "pageSize must be a positive integer, got 1.5 (number)");
    }
  });

  test("labels must follow Kubernetes' label syntax, every bad key and value listed at once", () => {
    try {
      resolveBackupOptions(
        {
          cluster,
          store,
          name: "nightly",
          labels: {
            ok: "fine",
            "example.com/team": "a_b.c-d",
            "bad key": "x",
            "Bad_Prefix/app": "x",
            tier: "-starts-with-dash",
            long: "v".repeat(64),
            count: 3 as unknown as string,
          },
          pageSize: 0,
        },
        fakeDiscovery(),
      );
      assert.fail("expected a ValidationError");
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(
        error.problems.map((p) => p.replace(/:.*/s, "")),
        [
          "labels",
          "labels",
          "labels",
          "labels",
          "labels",
          "pageSize must be a positive integer, got 0 (number)",
        ],
      );
      assert.match(error.problems[0]!, /^labels: key "bad key" is not a valid label key/);
      assert.match(error.problems[1]!, /^labels: key "Bad_Prefix\/app" has an invalid prefix/);
      assert.match(
        error.problems[2]!,
        /^labels: value "-starts-with-dash" of key "tier" is not a valid label value/,
      );
      assert.match(error.problems[3]!, /^labels: value "v{64}" of key "long" is not a valid label value/);
      assert.equal(error.problems[4], 'labels: value of key "count" must be a string, received number');
    }
    assert.throws(
      () =>
        resolveBackupOptions({ cluster, store, name: "nightly", labels: ["a"] as never }, fakeDiscovery()),
      (error: unknown) =>
        error instanceof ValidationError &&
        error.problems[0] === "labels: expected an object of label keys to string values, received an array",
    );
  });

  test("defaults, labels and the recorded spec", () => {
    const resolved = resolveBackupOptions(
      { cluster, store, name: "nightly", includedNamespaces: ["shop"], labels: { team: "a" } },
      fakeDiscovery(),
    );
    assert.equal(resolved.ttlMs, 720 * 3_600_000);
    assert.equal(resolved.listConcurrency, 8);
    assert.equal(resolved.pageSize, 500);
    assert.equal(resolved.storageLocation, "default");
    assert.equal(resolved.takesSnapshots, false);
    assert.deepEqual(resolved.labels, { team: "a", "velero.io/storage-location": "default" });
    assert.deepEqual(resolved.spec.includedNamespaces, ["shop"]);
    assert.equal(resolved.spec.ttl, "720h0m0s");
    assert.equal(resolved.spec.storageLocation, "default");
  });
});

describe("backup progress", () => {
  test("throttled to one report per interval, forced reports always sent", () => {
    const seen: string[] = [];
    let items = 0;
    const report = createProgressReporter(
      (p) => seen.push(`${p.phase}:${p.itemsBackedUp}`),
      () => ({ itemsBackedUp: items++, totalItems: 0, resourcesDone: 0, resourcesTotal: 0 }),
      60_000,
    );
    report("collecting");
    report("collecting");
    report("uploading", true);
    assert.deepEqual(seen, ["collecting:0", "uploading:1"]);
  });
});

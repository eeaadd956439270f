// TTL garbage collection against MinIO: three real backups, one expired → exactly that one's keys go.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backup, collectGarbage, openCatalog } from "../../lib/index.ts";
import { listAll } from "../../lib/store/index.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempS3Store } from "../support/stores.ts";

const DAY = 24 * 60 * 60 * 1000;

describe("collectGarbage (MinIO)", () => {
  test("three backups, one expired: exactly its keys are deleted; dry run and in-progress backups are safe", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "gc");
    await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace },
      data: { a: "1" },
    });
    const store = await tempS3Store();
    const common = { cluster, store, includedNamespaces: [namespace] };
    // 40 days ago with the default 30-day TTL: expired ten days ago
    await backup({ ...common, name: "old", now: () => new Date(Date.now() - 40 * DAY) });
    await backup({ ...common, name: "recent", ttl: "24h" });
    await backup({ ...common, name: "keeper", ttl: "8760h" });
    // another writer's backup still being written: its tarball is there, its metadata is not
    await store.put("backups/writing/writing.tar.gz", "partial");
    // a Velero backup whose metadata says it is still in progress, with an expiration in the past
    const catalog = openCatalog(store);
    const inProgress = structuredClone(await catalog.getBackupMetadata("recent"));
    inProgress.metadata = { ...inProgress.metadata, name: "velero-busy" };
    inProgress.status = {
      ...inProgress.status,
      phase: "InProgress",
      expiration: new Date(Date.now() - DAY).toISOString(),
    };
    await catalog.putBackupMetadata(inProgress);

    const before = await listAll(store, "");
    const oldKeys = before.filter((key) => key.startsWith("backups/old/"));
    assert.ok(oldKeys.length >= 8, `old backup keys: ${oldKeys.join(", ")}`);

    const dry = await collectGarbage({ store, dryRun: true });
    assert.deepEqual(
      dry.deleted.map((d) => d.name),
      ["old"],
    );
    assert.deepEqual(await listAll(store, ""), before, "a dry run deleted something");

    const seen: string[] = [];
    const result = await collectGarbage({ store, onDeleted: (b) => seen.push(b.name) });
    assert.deepEqual(
      result.deleted.map((d) => d.name),
      ["old"],
    );
    assert.deepEqual(seen, ["old"]);
    assert.deepEqual([...(result.deleted[0]?.keys ?? [])].sort(), [...oldKeys].sort());
    assert.equal(result.kept, 2);
    assert.deepEqual(
      result.skipped.map((s) => s.name),
      ["velero-busy"],
    );
    assert.deepEqual(result.errors, []);
    const after = await listAll(store, "");
    assert.deepEqual(
      after,
      before.filter((key) => !key.startsWith("backups/old/")),
    );
    assert.ok(after.includes("backups/writing/writing.tar.gz"));

    // a clock far in the future expires the rest, but never the in-progress one
    const later = await collectGarbage({ store, now: () => new Date(Date.now() + 400 * DAY) });
    assert.deepEqual(later.deleted.map((d) => d.name).sort(), ["keeper", "recent"]);
    assert.deepEqual(
      later.skipped.map((s) => s.name),
      ["velero-busy"],
    );
  });
});

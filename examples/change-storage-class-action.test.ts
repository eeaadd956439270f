// Unit test of examples/change-storage-class-action.ts on items of a real backup (Velero 1.18.3's
// `shop-ns` backup: a StatefulSet with a volumeClaimTemplate and its PVC). The cluster that backup came
// from had no StorageClass, so the test gives the items one ("standard") before mapping it.
// Run: npx tsx --test examples/
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Cluster, KubeObject } from "stowage";
import { extractArchive } from "stowage/format";
import { changeStorageClass } from "./change-storage-class-action.ts";

// Backups a real Velero 1.18.3 wrote, kept with the repository's tests.
const fixtures = join(import.meta.dirname, "..", "test", "fixtures", "velero-1.18.3");

const withClass = (claim: KubeObject, storageClassName: string): KubeObject => ({
  ...claim,
  spec: { ...(claim.spec as object), storageClassName },
});

test("maps the class of a PVC and of a StatefulSet's claim templates; leaves other classes alone", async () => {
  const name = "shop-ns-20261122031500";
  const archive = await extractArchive(createReadStream(join(fixtures, "backups", name, `${name}.tar.gz`)));
  try {
    const read = async (groupResource: string) => {
      const ref = [...archive.items()].find((r) => r.groupResource === groupResource);
      assert.ok(ref, `the fixture backup has ${groupResource}`);
      return (await archive.readItem(ref)) as KubeObject;
    };
    const pvc = withClass(await read("persistentvolumeclaims"), "standard");
    const sts = await read("statefulsets.apps");
    const stsSpec = sts.spec as { volumeClaimTemplates: KubeObject[] };
    const statefulSet = {
      ...sts,
      spec: {
        ...stsSpec,
        volumeClaimTemplates: stsSpec.volumeClaimTemplates.map((t) => withClass(t, "standard")),
      },
    };
    const action = changeStorageClass({ standard: "fast" });
    const lines: string[] = [];
    const input = (item: KubeObject) => ({
      item,
      itemFromBackup: item,
      restore: { name: "test", backupName: name, namespaceMapping: {}, spec: {} },
      log: { info: (m: string) => void lines.push(m), warn: () => {}, error: () => {} },
      cluster: {} as Cluster, // not used by this action
      signal: new AbortController().signal,
    });

    const mappedPvc = (await action.execute(input(pvc)))?.item;
    assert.ok(mappedPvc, "the PVC was mapped");
    assert.equal((mappedPvc.spec as { storageClassName?: string }).storageClassName, "fast");
    assert.deepEqual(
      (mappedPvc.spec as { resources?: unknown }).resources,
      (pvc.spec as { resources?: unknown }).resources,
    );
    const mappedSts = (await action.execute(input(statefulSet)))?.item;
    assert.ok(mappedSts, "the StatefulSet was mapped");
    const templates = (mappedSts.spec as { volumeClaimTemplates: { spec: { storageClassName: string } }[] })
      .volumeClaimTemplates;
    assert.deepEqual(
      templates.map((t) => t.spec.storageClassName),
      ["fast"],
    );
    assert.deepEqual(lines, ["storage class standard → fast", "storage class standard → fast"]);
    // an unmapped class, and an item with no class at all, come back unchanged (no output)
    assert.equal(await action.execute(input(withClass(pvc, "premium"))), undefined);
    assert.equal(await action.execute(input(await read("persistentvolumeclaims"))), undefined);
  } finally {
    await archive.cleanup();
  }
});

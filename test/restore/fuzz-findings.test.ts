/**
 * What the fuzz run (test/restore/fuzz.test.ts, `npm run fuzz`) found restore() mishandling, each
 * reduced to a small hand-made backup. Each names the seed and case index that found it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fsStore, restore } from "../../lib/index.ts";
import { craftTarGz } from "../format/support.ts";
import { connectTest, uniqueSuffix } from "../support/kube.ts";
import { goJson, veleroBackupJson, writeVeleroBackup } from "../support/velero-backups.ts";

const cluster = await connectTest();
const storeRoot = mkdtempSync(join(tmpdir(), "stowage-restore-fuzz-findings-"));
const store = fsStore(storeRoot, { fsync: false });
const namespaces: string[] = [];
after(async () => {
  for (const ns of namespaces) await cluster.delete("namespaces", ns).catch(() => undefined);
  rmSync(storeRoot, { recursive: true, force: true });
});

describe("restore(): fuzz findings", () => {
  test("an item nested thousands of levels deep is refused with a clear error, not a stack overflow (seed 1, case 60)", async () => {
    const ns = `ff1-${uniqueSuffix()}`;
    namespaces.push(ns);
    const depth = 6000;
    const good = goJson({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "good", namespace: ns },
      data: { a: "b" },
    });
    const deepPath = `resources/configmaps/namespaces/${ns}/deep.json`;
    const deep = `{"apiVersion":"v1","data":{"a":"b"},"kind":"ConfigMap","metadata":{"name":"deep","namespace":"${ns}"},"spec":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
    const backupName = `ff1-${uniqueSuffix()}`;
    writeVeleroBackup(
      storeRoot,
      backupName,
      craftTarGz([
        { name: "metadata/version", data: "1.1.0\n" },
        {
          name: `resources/namespaces/cluster/${ns}.json`,
          data: goJson({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
        },
        { name: `resources/configmaps/namespaces/${ns}/good.json`, data: good },
        { name: deepPath, data: deep },
      ]),
      veleroBackupJson(backupName, { formatVersion: "1.1.0", totalItems: 3 }),
    );
    const result = await restore({ cluster, store, backupName });
    assert.equal(result.phase, "PartiallyFailed");
    assert.ok(await cluster.tryGet("configmaps", "good", { namespace: ns }), "the good item was restored");
    assert.equal(
      await cluster.tryGet("configmaps", "deep", { namespace: ns }),
      undefined,
      "the deep item was not",
    );
    const errors = result.errors.namespaces?.[ns] ?? [];
    assert.equal(errors.length, 1, JSON.stringify(result.errors));
    assert.match(errors[0]!, new RegExp(deepPath.replaceAll(".", "\\.")));
    assert.match(errors[0]!, /nests objects or arrays more than 1000 levels deep/);
    assert.doesNotMatch(errors[0]!, /call stack/);
  });
});

/**
 * What the fuzz run (test/restore/fuzz.test.ts, `npm run fuzz`) found restore() mishandling, each
 * reduced to a small hand-made backup. Each names the seed and case index that found it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { FormatError, fsStore, restore } from "../../lib/index.ts";
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

  test("a backed-up Namespace that is too deep or not JSON gives a bare namespace and a warning, not failed items (seed 19, case 645)", async () => {
    const deepNs = `ff2-${uniqueSuffix()}`;
    const junkNs = `ff2-${uniqueSuffix()}`;
    namespaces.push(deepNs, junkNs);
    const depth = 6000;
    const configMap = (ns: string) => ({
      name: `resources/configmaps/namespaces/${ns}/good.json`,
      data: goJson({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "good", namespace: ns },
        data: { a: "b" },
      }),
    });
    const backupName = `ff2-${uniqueSuffix()}`;
    writeVeleroBackup(
      storeRoot,
      backupName,
      craftTarGz([
        { name: "metadata/version", data: "1.1.0\n" },
        {
          name: `resources/namespaces/cluster/${deepNs}.json`,
          data: `{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":{"kept":"no"},"name":"${deepNs}"},"spec":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
        },
        { name: `resources/namespaces/cluster/${junkNs}.json`, data: "\u0000 not JSON {" },
        configMap(deepNs),
        configMap(junkNs),
      ]),
      veleroBackupJson(backupName, { formatVersion: "1.1.0", totalItems: 4 }),
    );
    const result = await restore({ cluster, store, backupName });
    for (const ns of [deepNs, junkNs]) {
      assert.ok(
        await cluster.tryGet("configmaps", "good", { namespace: ns }),
        `the ConfigMap in ${ns} was restored`,
      );
      const live = await cluster.get("namespaces", ns);
      assert.equal(live.metadata?.labels?.kept, undefined, `${ns} was created bare`);
      const warnings = result.warnings.namespaces?.[ns] ?? [];
      assert.ok(
        warnings.some(
          (w) => w.includes(`resources/namespaces/cluster/${ns}.json`) && w.includes("created without"),
        ),
        `a warning against ${ns} names the backed-up Namespace: ${JSON.stringify(result.warnings)}`,
      );
    }
    // the items inside the namespaces are fine; only the Namespace items themselves are refused
    assert.deepEqual(result.errors.namespaces ?? {}, {}, JSON.stringify(result.errors));
    assert.equal(result.errors.cluster?.length, 2, JSON.stringify(result.errors));
    for (const ns of [deepNs, junkNs])
      assert.ok(result.errors.cluster?.some((e) => e.includes(`resources/namespaces/cluster/${ns}.json`)));
  });

  test("a podvolumebackups.json.gz that is not a list of objects refuses the restore, before anything is restored (seed 19, cases 1701 and 1971)", async () => {
    for (const [label, body] of [
      ["an object", "{}"],
      ["a list holding null", "[null]"],
    ] as const) {
      const ns = `ff3-${uniqueSuffix()}`;
      namespaces.push(ns);
      const backupName = `ff3-${uniqueSuffix()}`;
      writeVeleroBackup(
        storeRoot,
        backupName,
        craftTarGz([
          { name: "metadata/version", data: "1.1.0\n" },
          {
            name: `resources/namespaces/cluster/${ns}.json`,
            data: goJson({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
          },
          {
            name: `resources/pods/namespaces/${ns}/p.json`,
            data: goJson({
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: "p", namespace: ns },
              spec: { containers: [{ name: "c", image: "busybox" }] },
            }),
          },
        ]),
        veleroBackupJson(backupName, { formatVersion: "1.1.0", totalItems: 2 }),
      );
      const file = `${backupName}-podvolumebackups.json.gz`;
      writeFileSync(join(storeRoot, "backups", backupName, file), gzipSync(body));
      await assert.rejects(restore({ cluster, store, backupName }), (error: unknown) => {
        assert.ok(error instanceof FormatError, `${label}: expected a FormatError, got ${String(error)}`);
        assert.match(error.message, new RegExp(file.replaceAll(".", "\\.")));
        assert.match(error.message, /not a list of PodVolumeBackups/);
        return true;
      });
      assert.equal(await cluster.tryGet("namespaces", ns), undefined, `${label}: nothing was restored`);
    }
  });
});

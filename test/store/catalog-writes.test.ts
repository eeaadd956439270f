import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { StoreError, ValidationError } from "../../lib/errors.ts";
import { openCatalog } from "../../lib/store/catalog.ts";
import { decodeBackupMetadata } from "../../lib/store/codec.ts";
import { fsStore } from "../../lib/store/fs-store.ts";
import { getBuffer, getText, listAll, type ObjectStore } from "../../lib/store/object-store.ts";
import { getRestore, listRestores, restoresOfBackup } from "../../lib/store/records.ts";
import type { RestoreRecord } from "../../lib/store/restore-catalog.ts";
import type { Backup } from "../../lib/store/types.ts";
import { VELERO_FIXTURES } from "../support/velero-fixtures.ts";

const NS = "shop-ns-20261122031500";

/** A scratch directory store whose puts are recorded in order. */
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "stowage-catalog-writes-"));
  const inner = fsStore(dir, { fsync: false });
  const puts: string[] = [];
  const store: ObjectStore = {
    ...inner,
    put: async (key, body, options) => {
      await inner.put(key, body, options);
      puts.push(key);
    },
  };
  return { store, puts, cleanup: () => rm(dir, { recursive: true, force: true }) };
};

const veleroBackup = (name: string): Backup => {
  const backup = decodeBackupMetadata(
    readFileSync(join(VELERO_FIXTURES, "backups", NS, "velero-backup.json")),
  );
  return { ...backup, metadata: { ...backup.metadata, name } };
};

const record = (name: string, backupName: string, started: string): RestoreRecord => ({
  kind: "Restore",
  apiVersion: "velero.io/v1",
  metadata: { name, namespace: "velero", labels: { "velero.io/backup-name": backupName } },
  spec: { backupName },
  status: { phase: "Completed", startTimestamp: started },
});

describe("catalog puts backups and restores marker last", () => {
  it("putBackup writes every sidecar, then velero-backup.json; discardBackupFiles leaves none", async () => {
    const { store, puts, cleanup } = scratch();
    try {
      const catalog = openCatalog(store);
      const results = { errors: {}, warnings: {} };
      const files = {
        logs: Buffer.from([0x1f, 0x8b]),
        resourceList: { "v1/ConfigMap": ["shop/settings"] },
        results,
        volumeSnapshots: [],
        podVolumeBackups: [],
        itemOperations: [],
        volumeInfo: [],
      };
      await catalog.putBackup("b1", files, veleroBackup("b1"));
      assert.equal(puts.at(-1), "backups/b1/velero-backup.json");
      assert.equal(puts.length, 8);
      assert.deepEqual(await catalog.backupNames(), ["b1"]);
      assert.deepEqual(await catalog.getBackupResults("b1"), results);
      assert.equal((await catalog.getBackupMetadata("b1")).metadata.name, "b1");
      await assert.rejects(catalog.putBackup("b1", files, veleroBackup("b1")), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, "ERR_ALREADY_EXISTS");
        return true;
      });
      await assert.rejects(catalog.putBackup("b2", files, veleroBackup("b1")), ValidationError);

      await catalog.putBackupContents("b3", "tarball");
      await catalog.discardBackupFiles("b3");
      assert.deepEqual(await listAll(store, "backups/b3/"), []);
    } finally {
      await cleanup();
    }
  });

  it("putRestore writes the files, then the record; the records read back and delete record first", async () => {
    const { store, puts, cleanup } = scratch();
    try {
      const catalog = openCatalog(store);
      const files = {
        logs: gzipSync('time="2026-11-22T03:00:00Z" level=info msg="restored"\n'),
        results: { errors: {}, warnings: { cluster: ["w"] } },
        resourceList: { "v1/ConfigMap": ["shop/settings(created)"] },
        itemOperations: [],
        volumeInfo: [],
      };
      await catalog.putRestore("r1", files, record("r1", "b1", "2026-11-22T03:00:00Z"));
      await catalog.putRestore("r2", files, record("r2", "b2", "2026-11-22T04:00:00Z"));
      assert.equal(puts[5], "restores/r1/restore-r1.json");
      const written = await getText(store, "restores/r1/restore-r1.json");
      assert.ok(written.startsWith('{\n  "kind": "Restore",\n  "apiVersion": "velero.io/v1",'), written);
      assert.ok(written.endsWith("}\n"));
      await assert.rejects(
        catalog.putRestore("r3", files, record("r1", "b1", "2026-11-22T03:00:00Z")),
        ValidationError,
      );

      // a restore Velero wrote: a log, no record
      await store.put(
        "restores/velero-made/restore-velero-made-logs.gz",
        await getBuffer(store, "restores/r1/restore-r1-logs.gz"),
      );
      assert.deepEqual(await catalog.restoreNames(), ["r1", "r2", "velero-made"]);
      assert.deepEqual(
        (await listRestores(store)).map((r) => r.metadata.name),
        ["r2", "r1"],
      );
      assert.deepEqual(await restoresOfBackup(store, "b1"), ["r1"]);
      assert.match(await text(await catalog.getRestoreLogs("velero-made")), /level=info msg="restored"\n$/);
      assert.equal(await catalog.getRestoreLogText("r1"), await text(await catalog.getRestoreLogs("r1")));
      assert.deepEqual((await getRestore(store, "r1")).results, files.results);
      assert.deepEqual(await catalog.getRestoreJson("r1", "resourceList"), files.resourceList);
      await assert.rejects(catalog.getRestoreRecord("velero-made"), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, "ERR_NOT_FOUND");
        assert.match(error.message, /restore "velero-made" does not exist in file:/);
        return true;
      });

      const { deleted } = await catalog.deleteRestoreKeys("r1");
      assert.equal(deleted[0], "restores/r1/restore-r1.json");
      assert.equal(deleted.length, 6);
      assert.deepEqual(await catalog.deleteRestoreKeys("r1"), { deleted: [] });
    } finally {
      await cleanup();
    }
  });

  it("names the restic repositories", async () => {
    const { store, cleanup } = scratch();
    try {
      const catalog = openCatalog(store);
      await store.put("restic/shop/config", "x");
      await store.put("restic/half/keys/k", "x");
      assert.deepEqual(await catalog.resticRepositoryNamespaces(), ["half", "shop"]);
      assert.equal(await catalog.resticRepositoryExists("shop"), true);
      assert.equal(await catalog.resticRepositoryExists("half"), false);
      await assert.rejects(catalog.resticRepositoryExists("Not/A/Namespace"), ValidationError);
    } finally {
      await cleanup();
    }
  });
});

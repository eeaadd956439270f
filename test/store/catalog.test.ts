import assert from "node:assert/strict";
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { describe, it } from "node:test";
import { StoreError } from "../../lib/errors.ts";
import { assertValidLayout, openCatalog } from "../../lib/store/catalog.ts";
import { decodeBackupMetadata } from "../../lib/store/codec.ts";
import { fsStore } from "../../lib/store/fs-store.ts";
import { getText, listAll, type ObjectStore } from "../../lib/store/object-store.ts";
import type { Backup } from "../../lib/store/types.ts";
import { VELERO_FIXTURES } from "../support/velero-fixtures.ts";

const FIXTURES = VELERO_FIXTURES;
const NIGHTLY = "shop-nightly-20261122030000";
const NS = "shop-ns-20261122031500";

/** The fixtures, read-only: any write fails the test instead of touching the shared folder. */
const fixtureStore = (): ObjectStore => {
  const store = fsStore(FIXTURES);
  const refuse = async () => {
    throw new Error("the Velero fixtures are read-only: copy them first");
  };
  return { ...store, put: refuse, delete: refuse };
};

/** A writable copy of the fixtures in a temp dir. */
const copyOfFixtures = () => {
  const dir = mkdtempSync(join(tmpdir(), "stowage-catalog-"));
  cpSync(join(FIXTURES, "backups"), join(dir, "backups"), { recursive: true });
  // the shared fixtures are read-only on disk, and cpSync keeps modes: make the copy writable for non-root users
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  return {
    dir,
    store: fsStore(dir, { fsync: false }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
};

const isNotFound = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof StoreError, String(error));
  assert.equal(error.code, "ERR_NOT_FOUND");
  assert.match(error.message, pattern);
  return true;
};

describe("catalog over the Velero 1.18.3 fixtures", () => {
  const catalog = openCatalog(fixtureStore());

  it("lists both backups", async () => {
    assert.deepEqual(await catalog.backupNames(), [NIGHTLY, NS]);
    assert.equal(await catalog.backupExists(NS), true);
    assert.equal(await catalog.backupExists("shop-nope"), false);
  });

  it("reads the Backup metadata: phase Completed, counts, spec", async () => {
    const nightly = await catalog.getBackupMetadata(NIGHTLY);
    assert.equal(nightly.kind, "Backup");
    assert.equal(nightly.apiVersion, "velero.io/v1");
    assert.equal(nightly.metadata.name, NIGHTLY);
    assert.equal(nightly.status?.phase, "Completed");
    assert.equal(nightly.status?.formatVersion, "1.1.0");
    assert.deepEqual(nightly.status?.progress, { totalItems: 296, itemsBackedUp: 296 });
    assert.equal(nightly.spec.includeClusterResources, true);
    assert.deepEqual(nightly.spec.includedNamespaces, ["shop"]);
    const ns = await catalog.getBackupMetadata(NS);
    assert.equal(ns.status?.phase, "Completed");
    assert.equal(ns.status?.progress?.totalItems, 28);
    assert.deepEqual(ns.spec.excludedNamespaceScopedResources, ["volumesnapshots.snapshot.storage.k8s.io"]);
  });

  it("reads results, resource list and the other sidecars", async () => {
    assert.deepEqual(await catalog.getBackupResults(NS), { errors: {}, warnings: {} });
    const resources = await catalog.getBackupResourceList(NS);
    assert.ok(resources);
    assert.deepEqual(resources["apps/v1/StatefulSet"], ["shop/shop-db"]);
    assert.ok(resources["v1/ConfigMap"]?.includes("shop/shop-settings"));
    const total = Object.values(resources).reduce((n, names) => n + names.length, 0);
    assert.ok(total > 0 && total <= 28, `${total} resources`);
    const nightlyResources = await catalog.getBackupResourceList(NIGHTLY);
    assert.ok(
      nightlyResources?.["apiextensions.k8s.io/v1/CustomResourceDefinition"]?.includes("backups.velero.io"),
    );
    assert.equal(await catalog.getBackupJson(NS, "podVolumeBackups"), null);
    assert.equal(await catalog.getBackupJson(NS, "volumeSnapshots"), null);
    assert.deepEqual(await catalog.getBackupJson(NS, "itemOperations"), []);
    assert.deepEqual(await catalog.getBackupJson(NS, "volumeInfo"), []);
    const volumeInfo = await catalog.getBackupJson<Array<{ pvName: string }>>(NIGHTLY, "volumeInfo");
    assert.deepEqual(
      volumeInfo?.map((v) => v.pvName),
      ["smoke1-pv", "velero-fixture-pv"],
    );
  });

  it("reads the logs as text and as a stream, and the tarball as gzip", async () => {
    const log = await catalog.getBackupLogText(NS);
    assert.match(
      log,
      /^time="2026-11-22T03:31:13Z" level=info msg="Setting up backup temp file" backup=velero\/shop-ns-20261122031500/,
    );
    assert.equal(await text(await catalog.getBackupLogs(NS)), log);
    const contents = await catalog.getBackupContents(NS);
    const first = (await contents.toArray())[0] as Buffer;
    assert.deepEqual([...first.subarray(0, 2)], [0x1f, 0x8b]);
  });

  it("says what is missing", async () => {
    await assert.rejects(
      catalog.getBackupMetadata("shop-nope"),
      isNotFound(
        /backup "shop-nope" does not exist in file:\/\/.*velero-1\.18\.3 \(no backups\/shop-nope\/velero-backup\.json\)/,
      ),
    );
    await assert.rejects(
      catalog.getBackupJson(NS, "csiVolumeSnapshots"),
      isNotFound(/shop-ns-20261122031500-csi-volumesnapshots\.json\.gz/),
    );
    await assert.rejects(catalog.getBackupLogs("shop-nope"), isNotFound(/shop-nope-logs\.gz/));
    await assert.rejects(catalog.getBackupMetadata("Not/A/Name"), /invalid backup name/);
  });

  it("finds no unknown top-level directories in a Velero location", async () => {
    assert.deepEqual(await catalog.findUnknownTopLevelDirs(), []);
    await assertValidLayout(catalog.store);
  });
});

describe("catalog writes and deletes (on a copy)", () => {
  it("does not list a backup without velero-backup.json (incomplete)", async () => {
    const { store, cleanup } = copyOfFixtures();
    try {
      await store.put("backups/half-done/half-done.tar.gz", "partial");
      await store.delete(`backups/${NS}/velero-backup.json`);
      assert.deepEqual(await openCatalog(store).backupNames(), [NIGHTLY]);
    } finally {
      await cleanup();
    }
  });

  it("deletes velero-backup.json first, then every other key of the backup", async () => {
    const { store, cleanup } = copyOfFixtures();
    try {
      const deletes: string[] = [];
      const recording: ObjectStore = {
        ...store,
        delete: async (key) => {
          deletes.push(key);
          // when the first key is gone, the backup must already have stopped being complete
          if (deletes.length === 2)
            assert.equal(await store.exists(`backups/${NS}/velero-backup.json`), false);
          await store.delete(key);
        },
      };
      const catalog = openCatalog(recording);
      const before = await listAll(store, `backups/${NS}/`);
      const { deleted } = await catalog.deleteBackupKeys(NS);
      assert.equal(deletes[0], `backups/${NS}/velero-backup.json`);
      assert.deepEqual([...deleted].sort(), before);
      assert.deepEqual(await listAll(store, `backups/${NS}/`), []);
      assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), [`backups/${NIGHTLY}/`]);
      assert.deepEqual(await catalog.backupNames(), [NIGHTLY]);
      assert.deepEqual(await catalog.deleteBackupKeys(NS), { deleted: [] });
    } finally {
      await cleanup();
    }
  });

  it("writes velero-backup.json as Velero does, refusing to overwrite with ifNoneMatch", async () => {
    const { store, cleanup } = copyOfFixtures();
    try {
      const catalog = openCatalog(store);
      const original = readFileSync(join(FIXTURES, "backups", NS, "velero-backup.json"));
      const backup: Backup = decodeBackupMetadata(original);
      await assert.rejects(catalog.putBackupMetadata(backup, { ifNoneMatch: true }), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, "ERR_ALREADY_EXISTS");
        assert.match(error.message, /backup "shop-ns-20261122031500" already exists in object storage/);
        return true;
      });
      const copy: Backup = { ...backup, metadata: { ...backup.metadata, name: "shop-copy" } };
      await catalog.putBackupMetadata(copy, { ifNoneMatch: true });
      const written = await getText(store, "backups/shop-copy/velero-backup.json");
      assert.equal(written, original.toString("utf8").replace(`"name": "${NS}"`, '"name": "shop-copy"'));
      assert.deepEqual(await catalog.backupNames(), ["shop-copy", NIGHTLY, NS]);
    } finally {
      await cleanup();
    }
  });

  it("flags unknown top-level directories as Velero does", async () => {
    const { store, cleanup } = copyOfFixtures();
    try {
      for (const dir of ["junk", "stowage", "tmp", "zzz"]) await store.put(`${dir}/file`, "x");
      await store.put("restic/shop/config", "x");
      const catalog = openCatalog(store);
      assert.deepEqual(await catalog.findUnknownTopLevelDirs(), ["junk", "stowage", "tmp", "zzz"]);
      await assert.rejects(assertValidLayout(store), {
        message:
          /contains 4 invalid top-level directories: \[junk, stowage, tmp, \.\.\.\]; Velero allows only backups, restores, restic, metadata, plugins and kopia/,
      });
    } finally {
      await cleanup();
    }
  });
});

// Two runs with one name at once: exactly one claims it and completes, the other is refused before it
// writes anything and deletes nothing (issue #19 item 5), on a directory store and on MinIO.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  backup,
  deleteBackup,
  listBackups,
  listRestores,
  type ObjectStore,
  restore,
  StoreError,
} from "../../lib/index.ts";
import { type ClaimingRun, openCatalog } from "../../lib/store/catalog.ts";
import { backupKeys, restoreKeys } from "../../lib/store/layout.ts";
import { getBuffer, getText, listAll } from "../../lib/store/object-store.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { tempFsStore, tempS3Store } from "../support/stores.ts";
import { readTarball } from "../support/tarball.ts";

const stores: Array<[string, () => Promise<ObjectStore>]> = [
  ["the directory store", async () => tempFsStore()],
  ["MinIO", () => tempS3Store()],
];

const CATALOG_TRIALS = 50;
const FULL_TRIALS = 50;
/** Arbitrary bytes (every value 0–255) that a survivor's restore must bring back unchanged. */
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("base64");

const newRun = (): ClaimingRun => ({ uid: randomUUID(), started: new Date() });

/** The one fulfilled result and the one refusal of two settled runs; fails unless it is exactly that. */
const oneWinner = <T>(store: ObjectStore, settled: PromiseSettledResult<T>[], kind: string, name: string) => {
  const won = settled.flatMap((r, i) => (r.status === "fulfilled" ? [{ i, value: r.value }] : []));
  const lost = settled.flatMap((r, i) =>
    r.status === "rejected" ? [{ i, reason: r.reason as unknown }] : [],
  );
  assert.equal(won.length, 1, `exactly one run wins: ${lost.map((l) => String(l.reason)).join("; ")}`);
  assert.equal(lost.length, 1, "exactly one run is refused");
  const { reason } = lost[0] as { reason: unknown };
  assert.ok(reason instanceof StoreError, `refused with a StoreError, got ${String(reason)}`);
  assert.equal(reason.code, "ERR_ALREADY_EXISTS");
  assert.ok(reason.message.includes(`${kind} "${name}" already exists`), reason.message);
  assert.ok(reason.message.includes(store.location), `names the store: ${reason.message}`);
  const winner = won[0] as { i: number; value: T };
  return { winner: winner.i, value: winner.value, loser: (lost[0] as { i: number }).i };
};

/** The keys under `dir`, sorted. */
const keysUnder = async (store: ObjectStore, dir: string) => (await listAll(store, dir)).sort();

const claimUid = async (store: ObjectStore, key: string): Promise<string> =>
  (JSON.parse(await getText(store, key)) as { uid: string }).uid;

for (const [storeName, makeStore] of stores) {
  describe(`name claims in ${storeName}`, () => {
    test(`${CATALOG_TRIALS} races on one backup name: one claim, the loser's cleanup deletes nothing`, async () => {
      const store = await makeStore();
      const catalog = openCatalog(store);
      for (let trial = 0; trial < CATALOG_TRIALS; trial++) {
        const name = `race-${trial}`;
        const keys = backupKeys(name);
        const runs = [newRun(), newRun()];
        const settled = await Promise.allSettled(runs.map((run) => catalog.claimBackup(name, run)));
        const { winner, loser } = oneWinner(store, settled, "backup", name);
        const won = runs[winner] as ClaimingRun;
        assert.equal(await claimUid(store, keys.claim), won.uid);
        // the winner writes; the loser, failing, cleans up what it thinks is its own: nothing goes
        await catalog.putBackupContents(name, Buffer.from(`tarball of ${won.uid}`));
        await catalog.discardBackupFiles(name, runs[loser] as ClaimingRun);
        assert.deepEqual(await keysUnder(store, keys.dir), [keys.contents, keys.claim].sort());
        assert.equal((await getBuffer(store, keys.contents)).toString(), `tarball of ${won.uid}`);
        // claimed but incomplete: not a backup
        assert.equal(await catalog.backupExists(name), false);
        // the winner's own cleanup removes everything, the claim last
        await catalog.discardBackupFiles(name, won);
        assert.deepEqual(await keysUnder(store, keys.dir), []);
      }
      assert.deepEqual(await catalog.backupNames(), []);
    });

    test(`${CATALOG_TRIALS} races on one restore name: one claim, the loser's cleanup deletes nothing`, async () => {
      const store = await makeStore();
      const catalog = openCatalog(store);
      for (let trial = 0; trial < CATALOG_TRIALS; trial++) {
        const name = `race-${trial}`;
        const keys = restoreKeys(name);
        const runs = [newRun(), newRun()];
        const settled = await Promise.allSettled(runs.map((run) => catalog.claimRestore(name, run)));
        const { winner, loser } = oneWinner(store, settled, "restore", name);
        const won = runs[winner] as ClaimingRun;
        assert.equal(await claimUid(store, keys.claim), won.uid);
        await store.put(keys.logs, Buffer.from(won.uid));
        await catalog.discardRestoreFiles(name, runs[loser] as ClaimingRun);
        assert.deepEqual(await keysUnder(store, keys.dir), [keys.claim, keys.logs].sort());
        assert.equal(await catalog.restoreExists(name), false);
        await catalog.discardRestoreFiles(name, won);
        assert.deepEqual(await keysUnder(store, keys.dir), []);
      }
    });

    test("a complete backup without a claim (as Velero writes it) is refused, its keys untouched", async () => {
      const store = await makeStore();
      const catalog = openCatalog(store);
      const keys = backupKeys("velero-made");
      await store.put(keys.metadata, "{}");
      await store.put(keys.contents, "tarball");
      await assert.rejects(catalog.claimBackup("velero-made", newRun()), (error: unknown) => {
        assert.ok(error instanceof StoreError && error.code === "ERR_ALREADY_EXISTS");
        assert.match(error.message, /backup "velero-made" already exists/);
        return true;
      });
      assert.deepEqual(await keysUnder(store, keys.dir), [keys.contents, keys.metadata].sort());
    });

    test("an interrupted run's claim: not a backup, the name refused until the backup is deleted", async () => {
      const cluster = await connectTest();
      const ns = await makeNamespace(cluster, "stale");
      const store = await makeStore();
      const name = `${ns}-b`;
      const interrupted = newRun();
      await openCatalog(store).claimBackup(name, interrupted);
      assert.deepEqual(await listBackups(store), []);
      await assert.rejects(backup({ cluster, store, name, includedNamespaces: [ns] }), (error: unknown) => {
        assert.ok(error instanceof StoreError && error.code === "ERR_ALREADY_EXISTS");
        assert.ok(error.message.includes(interrupted.uid), error.message);
        return true;
      });
      assert.deepEqual(await keysUnder(store, backupKeys(name).dir), [backupKeys(name).claim]);
      await deleteBackup(store, name);
      assert.equal((await backup({ cluster, store, name, includedNamespaces: [ns] })).phase, "Completed");
    });

    test(`${FULL_TRIALS} races of backup() with one name: one Completed with all its files, one refused, the survivor restores byte-identically`, async () => {
      const cluster = await connectTest();
      const ns = await makeNamespace(cluster, "claim");
      await cluster.create(
        "configmaps",
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "cfg" },
          data: { k: "v" },
          binaryData: { bytes: BINARY },
        },
        { namespace: ns },
      );
      const store = await makeStore();
      for (let trial = 0; trial < FULL_TRIALS; trial++) {
        const name = `${ns}-${trial}`;
        const keys = backupKeys(name);
        const settled = await Promise.allSettled(
          [0, 1].map(() => backup({ cluster, store, name, includedNamespaces: [ns] })),
        );
        const { value } = oneWinner(store, settled, "backup", name);
        assert.equal(value.phase, "Completed", JSON.stringify(value.errors));
        // every file of the winner is there, and its claim is its own
        const {
          dir: _dir,
          csiVolumeSnapshots,
          csiVolumeSnapshotContents,
          csiVolumeSnapshotClasses,
          progress, // the run's progress record is removed once the backup is complete
          ...written
        } = keys;
        assert.deepEqual(await keysUnder(store, keys.dir), Object.values(written).sort());
        assert.equal(await store.exists(progress), false);
        const metadata = await openCatalog(store).getBackupMetadata(name);
        assert.equal(metadata.status?.phase, "Completed");
        assert.equal(await claimUid(store, keys.claim), metadata.metadata?.uid);
        const entries = await readTarball(await store.get(keys.contents));
        const cfg = entries.find((e) => e.path === `resources/configmaps/namespaces/${ns}/cfg.json`);
        assert.ok(cfg, "the tarball reads back with the backed-up ConfigMap");
        assert.deepEqual((JSON.parse(cfg.body.toString("utf8")) as { data: unknown }).data, { k: "v" });
        // the survivor restores, and what comes back is byte for byte what was backed up
        const target = `${ns}-to-${trial}`;
        const restored = await restore({
          cluster,
          store,
          backupName: name,
          name: `${name}-check`,
          namespaceMapping: { [ns]: target },
        });
        assert.equal(restored.phase, "Completed", JSON.stringify(restored.errors));
        const back = await cluster.get("configmaps", "cfg", { namespace: target });
        assert.deepEqual(back.data, { k: "v" });
        assert.equal((back.binaryData as Record<string, string>).bytes, BINARY);
        await cluster.delete("namespaces", target);
      }
      // complete backups are listed; the claims do not add any
      const listed = (await listBackups(store)).map((b) => b.metadata?.name).sort();
      assert.deepEqual(listed, Array.from({ length: FULL_TRIALS }, (_, i) => `${ns}-${i}`).sort());
      // deleting a backup removes its claim with the rest, and frees the name
      const { deleted } = await deleteBackup(store, `${ns}-0`);
      assert.ok(deleted.includes(backupKeys(`${ns}-0`).claim));
      assert.deepEqual(await keysUnder(store, backupKeys(`${ns}-0`).dir), []);
      const again = await backup({ cluster, store, name: `${ns}-0`, includedNamespaces: [ns] });
      assert.equal(again.phase, "Completed");
    });

    test(`${FULL_TRIALS} races of restore() with one name: one Completed and recorded, one refused`, async () => {
      const cluster = await connectTest();
      const ns = await makeNamespace(cluster, "claimr");
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { k: "v" } },
        { namespace: ns },
      );
      const store = await makeStore();
      const backupName = `${ns}-b`;
      await backup({ cluster, store, name: backupName, includedNamespaces: [ns] });
      for (let trial = 0; trial < FULL_TRIALS; trial++) {
        const name = `${ns}-r${trial}`;
        const keys = restoreKeys(name);
        const target = `${ns}-to-${uniqueSuffix()}`;
        const settled = await Promise.allSettled(
          [0, 1].map(() => restore({ cluster, store, backupName, name, namespaceMapping: { [ns]: target } })),
        );
        const { value } = oneWinner(store, settled, "restore", name);
        assert.equal(value.phase, "Completed", JSON.stringify(value.errors));
        const { dir: _dir, ...written } = keys;
        assert.deepEqual(await keysUnder(store, keys.dir), Object.values(written).sort());
        const record = await openCatalog(store).getRestoreRecord(name);
        assert.equal(record.status.phase, "Completed");
        assert.equal(await claimUid(store, keys.claim), record.metadata.uid);
        const cfg = await cluster.get("configmaps", "cfg", { namespace: target });
        assert.deepEqual(cfg.data, { k: "v" });
      }
      const listed = (await listRestores(store)).map((r) => r.metadata.name).sort();
      assert.deepEqual(listed, Array.from({ length: FULL_TRIALS }, (_, i) => `${ns}-r${i}`).sort());
    });
  });
}

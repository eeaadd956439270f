/**
 * GC of runs that never completed: a claimed backup directory without `velero-backup.json` is left
 * alone while its run shows signs of life (start, progress heartbeat) within `abandonedAfterMs`, and
 * removed — every key, the claim last — once it has not for that long. (The leftovers of real killed
 * runs, with snapshots, are test/backup/kill9.test.ts's.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { collectGarbage, fsStore, type ObjectStore } from "../../lib/index.ts";
import { listAll, openCatalog } from "../../lib/store/index.ts";
import { tempDir } from "../podvolume/support.ts";

const HOUR = 3_600_000;

describe("GC of abandoned backup runs (directory store)", () => {
  it("keeps a run seen within abandonedAfterMs, removes it with every key once not", async () => {
    const store: ObjectStore = fsStore(tempDir("abandoned"), { fsync: false });
    const catalog = openCatalog(store);
    const started = new Date("2026-01-01T00:00:00Z");
    // what a run killed mid-way leaves: its claim, its progress record (last heartbeat an hour in), a file
    await catalog.claimBackup("crashed", { uid: "run-1", started });
    await catalog.putBackupProgress("crashed", {
      kind: "StowageBackupProgress",
      name: "crashed",
      uid: "run-1",
      startTimestamp: started.toISOString(),
      heartbeatTimestamp: new Date(started.getTime() + HOUR).toISOString(),
      volumeSnapshots: [],
      podVolumes: [],
    });
    await store.put("backups/crashed/crashed-logs.gz", "partial");
    assert.deepEqual(await catalog.backupNames(), [], "an unfinished run is no backup");
    assert.deepEqual(
      (await catalog.incompleteBackups()).map((b) => [b.name, b.claim?.uid, b.progress?.uid]),
      [["crashed", "run-1", "run-1"]],
    );

    const at = (ms: number) => () => new Date(started.getTime() + ms);
    const early = await collectGarbage({ store, now: at(HOUR + 23 * HOUR) });
    assert.deepEqual(early.abandoned, [], "23 h after its last heartbeat the run is kept (default 24 h)");
    assert.equal((await listAll(store, "backups/crashed/")).length, 3);

    const dry = await collectGarbage({ store, now: at(HOUR + 25 * HOUR), dryRun: true });
    assert.deepEqual(
      dry.abandoned.map((a) => [a.name, a.uid, a.lastSeen, a.keys.length]),
      [["crashed", "run-1", "2026-01-01T01:00:00.000Z", 0]],
    );
    assert.equal((await listAll(store, "backups/crashed/")).length, 3, "a dry run deletes nothing");

    const shorter = await collectGarbage({ store, now: at(2 * HOUR), abandonedAfterMs: HOUR / 2 });
    assert.deepEqual(
      shorter.abandoned.map((a) => [a.name, [...a.keys].sort()]),
      [
        [
          "crashed",
          [
            "backups/crashed/crashed-logs.gz",
            "backups/crashed/crashed-stowage-claim.json",
            "backups/crashed/crashed-stowage-progress.json",
          ],
        ],
      ],
    );
    assert.deepEqual(shorter.abandoned[0]?.keys.slice(-1), ["backups/crashed/crashed-stowage-claim.json"]);
    assert.deepEqual(await listAll(store, "backups/"), [], "nothing is left");
    assert.deepEqual(shorter.errors, []);

    await assert.rejects(collectGarbage({ store, abandonedAfterMs: -1 }), {
      code: "ERR_VALIDATION",
      message: /abandonedAfterMs must be a number of milliseconds >= 0, got -1/,
    });
  });
});

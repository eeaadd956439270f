import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import {
  backupKeys,
  backupNameFromPrefix,
  backupsPrefix,
  kopiaRepoPrefix,
  resticRepoPrefix,
  restoreKeys,
  restoresPrefix,
  TOP_LEVEL_DIRS,
  unknownTopLevelDirs,
} from "../../lib/store/layout.ts";
import { validateObjectName } from "../../lib/store/names.ts";

describe("layout", () => {
  it("names every backup key as Velero does", () => {
    assert.deepEqual(backupKeys("b1"), {
      dir: "backups/b1/",
      metadata: "backups/b1/velero-backup.json",
      contents: "backups/b1/b1.tar.gz",
      logs: "backups/b1/b1-logs.gz",
      podVolumeBackups: "backups/b1/b1-podvolumebackups.json.gz",
      volumeSnapshots: "backups/b1/b1-volumesnapshots.json.gz",
      itemOperations: "backups/b1/b1-itemoperations.json.gz",
      resourceList: "backups/b1/b1-resource-list.json.gz",
      results: "backups/b1/b1-results.gz",
      volumeInfo: "backups/b1/b1-volumeinfo.json.gz",
      csiVolumeSnapshots: "backups/b1/b1-csi-volumesnapshots.json.gz",
      csiVolumeSnapshotContents: "backups/b1/b1-csi-volumesnapshotcontents.json.gz",
      csiVolumeSnapshotClasses: "backups/b1/b1-csi-volumesnapshotclasses.json.gz",
      claim: "backups/b1/b1-stowage-claim.json",
      progress: "backups/b1/b1-stowage-progress.json",
    });
  });

  it("names every restore key as Velero does (volumeinfo without the restore- prefix)", () => {
    assert.deepEqual(restoreKeys("r1"), {
      dir: "restores/r1/",
      logs: "restores/r1/restore-r1-logs.gz",
      results: "restores/r1/restore-r1-results.gz",
      resourceList: "restores/r1/restore-r1-resource-list.json.gz",
      itemOperations: "restores/r1/restore-r1-itemoperations.json.gz",
      volumeInfo: "restores/r1/r1-volumeinfo.json.gz",
      record: "restores/r1/restore-r1.json",
      claim: "restores/r1/restore-r1-stowage-claim.json",
    });
    for (const key of Object.values(restoreKeys("shop-restore.v2")))
      assert.ok(key.startsWith(restoresPrefix));
  });

  it("names repositories and the allowed top-level dirs", () => {
    assert.equal(backupsPrefix, "backups/");
    assert.equal(resticRepoPrefix("shop"), "restic/shop");
    assert.equal(kopiaRepoPrefix("shop"), "kopia/shop");
    assert.throws(() => resticRepoPrefix("Shop/x"), ValidationError);
    assert.deepEqual([...TOP_LEVEL_DIRS], ["backups", "restores", "restic", "metadata", "plugins", "kopia"]);
    assert.deepEqual(unknownTopLevelDirs(["backups/", "junk/", "restic/", "stowage/"]), ["junk", "stowage"]);
  });

  it("accepts Kubernetes object names and refuses everything else", () => {
    for (const ok of ["b1", "shop-nightly-20261122030000", "a.b-c", "x".repeat(253)]) {
      assert.equal(validateObjectName(ok), ok);
      assert.doesNotThrow(() => backupKeys(ok));
    }
    for (const bad of ["", "B1", "a/b", "../x", "-a", "a-", "a_b", "a..b", "x".repeat(254)]) {
      assert.throws(() => backupKeys(bad), ValidationError, bad);
      assert.throws(() => restoreKeys(bad), ValidationError, bad);
    }
    assert.throws(
      () => backupKeys("a/b"),
      /invalid backup name: "a\/b" must consist of lower case alphanumeric/,
    );
    assert.throws(() => restoreKeys("R"), /invalid restore name/);
  });

  it("derives backup names from common prefixes as Velero's sync trims them", () => {
    assert.equal(backupNameFromPrefix("backups/b1/"), "b1");
    assert.equal(backupNameFromPrefix("backups/b1"), "b1");
    assert.equal(backupNameFromPrefix("restores/r1/"), undefined);
    assert.equal(backupNameFromPrefix("backups/"), undefined);
    assert.equal(backupNameFromPrefix("backups/a/b/"), undefined);
  });
});

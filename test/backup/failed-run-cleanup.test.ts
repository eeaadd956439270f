/**
 * A backup that fails after it made snapshots removes them (real restic against MinIO, moto EBS, harness
 * plays the node): its EBS snapshot is deleted, its restic snapshot forgotten, its keys gone.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type BackupItemAction, backup } from "../../lib/index.ts";
import { uniqueSuffix } from "../support/kube.ts";
import { orphanFixture } from "./orphans-fixture.ts";

describe("a failed backup leaves nothing behind (real restic, MinIO and moto; harness plays the node)", () => {
  it("cancelled once its EBS snapshot and its restic snapshot exist: both are removed with every key", async () => {
    const f = await orphanFixture("orph-fail");
    const name = `orph-${uniqueSuffix()}`;
    const controller = new AbortController();
    // Namespace objects are written after every listed item; by then the PV was snapshotted. The action
    // waits (generously) until both snapshots exist, as seen from outside, then cancels the backup.
    const cancelLate: BackupItemAction = {
      name: "test.stowage.dev/cancel-late",
      appliesTo: { resources: ["namespaces"] },
      async execute() {
        for (let i = 0; i < 600; i++) {
          if ((await f.ebsSnapshotsOf(name)).length > 0 && (await f.resticSnapshotsOf(name)).length > 0)
            break;
          await sleep(100);
        }
        assert.equal((await f.ebsSnapshotsOf(name)).length, 1, "the EBS snapshot was taken");
        assert.equal((await f.resticSnapshotsOf(name)).length, 1, "the restic snapshot was taken");
        controller.abort(new Error("cancelled by the test after both snapshots were taken"));
      },
    };
    await assert.rejects(
      backup({
        cluster: f.cluster,
        store: f.store,
        name,
        includedNamespaces: [f.namespace],
        volumeSnapshotLocations: [f.location],
        podVolumes: { driver: f.driver, backend: f.backend, credentialsNamespace: f.credentialsNamespace },
        actions: [cancelLate],
        signal: controller.signal,
      }),
    );
    assert.deepEqual(await f.ebsSnapshotsOf(name), [], "the EBS snapshot was deleted");
    assert.deepEqual(await f.resticSnapshotsOf(name), [], "the restic snapshot was forgotten");
    assert.deepEqual(await f.keysOf(name), [], "no key is left under the backup's directory");
  });
});

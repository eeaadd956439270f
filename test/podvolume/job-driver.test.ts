import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Cluster, KubeObject } from "../../lib/index.ts";
import { repositoryAddress } from "../../lib/podvolume/backend.ts";
import { jobDriver } from "../../lib/podvolume/job-driver.ts";
import { RepositoryKey } from "../../lib/podvolume/keys.ts";
import { ResticError } from "../../lib/podvolume/output.ts";
import { createRepositoryOpener } from "../../lib/podvolume/repository.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { createRunningPod, podOnNode } from "../support/node-player.ts";
import { harnessNode, IMAGE, tempS3Location } from "./support.ts";
import { makeTree, manifest } from "./tree.ts";

/** A pod on `node` with an emptyDir `data`, once it is Running. */
const runningPod = (cluster: Cluster, namespace: string, name: string, node: string): Promise<KubeObject> =>
  createRunningPod(cluster, podOnNode({ namespace, name, node }));

/** A cluster, a system and an app namespace, a harness node, an S3 location and a Job driver. */
const setUp = async () => {
  const cluster = await connectTest();
  const system = await makeNamespace(cluster, "pv-system");
  const app = await makeNamespace(cluster, "pv-app");
  const node = await harnessNode(cluster);
  const { backend } = await tempS3Location();
  const driver = jobDriver({
    cluster,
    namespace: system,
    image: IMAGE,
    pollIntervalMs: 200,
    timeoutMs: 120_000,
  });
  return { cluster, system, app, node, backend, driver };
};

describe("Job driver (harness plays the node)", () => {
  it("backs up a pod volume from a Job pinned to the pod's node and restores it into another pod with the marker (harness plays the node)", async () => {
    const { cluster, system, app, node, backend, driver } = await setUp();

    const source = await runningPod(cluster, app, "source", node.name);
    const sourceUid = source.metadata?.uid ?? "";
    await makeTree(node.emptyDir(sourceUid, "data"), { bigFileBytes: 5 * 1024 * 1024, smallFiles: 200 });

    const opener = createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    });
    const repository = await opener.open(app, node.name);
    assert.equal(repository.key.secretNamespace, system);
    assert.equal(repository.address.url.endsWith(`/velero/restic/${app}`), true);

    const backedUp = await driver.backupVolume({
      repository,
      volume: { node: node.name, podUid: sourceUid, volumeDir: "data" },
      tags: { backup: "b1", ns: app, pod: "source", "pod-uid": sourceUid, volume: "data" },
    });
    assert.match(backedUp.snapshotId, /^[0-9a-f]{64}$/);
    assert.equal(backedUp.path, `/var/lib/kubelet/pods/${sourceUid}/volumes/kubernetes.io~empty-dir/data`);
    assert.ok(backedUp.progress.totalBytes > 5 * 1024 * 1024);

    const target = await runningPod(cluster, app, "target", node.name);
    const targetUid = target.metadata?.uid ?? "";
    const restored = await driver.restoreVolume({
      repository,
      volume: { node: node.name, podUid: targetUid, volumeDir: "data" },
      snapshotId: backedUp.snapshotId,
      marker: "restore-uid-1",
    });
    assert.equal(restored.progress.bytesDone, restored.progress.totalBytes);
    const targetDir = node.emptyDir(targetUid, "data");
    assert.ok(
      existsSync(join(targetDir, ".velero", "restore-uid-1")),
      "the marker the restore-wait container waits for",
    );
    assert.deepEqual(
      await manifest(targetDir, (p) => p === ".velero"),
      await manifest(node.emptyDir(sourceUid, "data")),
    );

    // three Jobs ran on the node (ensure, backup, restore), as local processes, and were deleted afterwards
    const jobs = node.executed.filter((e) => e.namespace === system);
    assert.deepEqual(
      jobs.map((e) => [e.container, e.exitCode]),
      [
        ["restic", 0],
        ["restic", 0],
        ["restic", 0],
      ],
    );
    await eventually(
      "the Jobs are deleted",
      async () => (await cluster.list("jobs.batch", { namespace: system })).length === 0,
    );
    const secrets = (await cluster.list("secrets", { namespace: system })).map((s) => s.metadata?.name);
    assert.ok(secrets.includes("stowage-repo-credentials"));
    assert.ok(
      !secrets.some((n) => n?.startsWith("stowage-restic-backend-")),
      "the Secrets that carried the S3 keys went with their Jobs",
    );
  });

  it("a wrong key fails the Job with a clear error and the key never shows (harness plays the node)", async () => {
    const { cluster, system, app, node, backend, driver } = await setUp();
    await createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    }).open(app, node.name);
    const wrong = "not-the-key-of-this-repository";
    await cluster.create("secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "wrong", namespace: system },
      stringData: { [app]: wrong },
    });
    const pod = await runningPod(cluster, app, "source", node.name);
    const error = await driver
      .backupVolume({
        repository: {
          address: repositoryAddress(backend, app),
          key: new RepositoryKey({ secretNamespace: system, secretName: "wrong", secretKey: app }, wrong),
        },
        volume: { node: node.name, podUid: pod.metadata?.uid ?? "", volumeDir: "data" },
        tags: {},
      })
      .then(
        () => assert.fail("the backup with a wrong key succeeded"),
        (e: unknown) => e,
      );
    assert.ok(error instanceof ResticError);
    assert.equal(error.failure, "wrong-key");
    assert.match(
      error.message,
      new RegExp(`^wrong repository key for namespace ${app}: the key in Secret ${system}/wrong\\[${app}\\]`),
    );
    assert.ok(!error.message.includes(wrong));
    const jobs = node.executed.filter((e) => e.namespace === system);
    assert.deepEqual(
      jobs.map((e) => e.exitCode),
      [0, 12],
    );
  });
});

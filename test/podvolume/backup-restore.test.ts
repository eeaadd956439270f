import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { backup, type Cluster, type ObjectStore, restore } from "../../lib/index.ts";
import { jobDriver } from "../../lib/podvolume/job-driver.ts";
import { findRepositoryKey, STOWAGE_KEY_SECRET } from "../../lib/podvolume/keys.ts";
import { localDriver } from "../../lib/podvolume/local-driver.ts";
import type { PodVolumeBackupRecord } from "../../lib/podvolume/records.ts";
import { decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { backupKeys, restoreKeys } from "../../lib/store/layout.ts";
import { onCleanup } from "../support/cleanup.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, podOnNode } from "../support/node-player.ts";
import { harnessNode, IMAGE, resticPath, tempS3Location } from "./support.ts";
import { makeTree, manifest } from "./tree.ts";

const readJson = async <T>(store: ObjectStore, key: string): Promise<T | null> =>
  decodeJsonGz<T>(await getBuffer(store, key), key);

/** A bound PVC on a `local` PV (created here, deleted after the file). */
const localClaim = async (cluster: Cluster, namespace: string, claim: string, node: string) => {
  const pv = `pv-${namespace}-${claim}`;
  onCleanup(() => cluster.delete("persistentvolumes", pv).catch(() => undefined));
  await cluster.create("persistentvolumes", {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: pv },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      local: { path: "/mnt/disks/shared" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] },
          ],
        },
      },
      claimRef: { namespace, name: claim },
    },
  });
  await cluster.create("persistentvolumeclaims", {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: claim, namespace },
    spec: {
      accessModes: ["ReadWriteMany"],
      storageClassName: "",
      volumeName: pv,
      resources: { requests: { storage: "1Gi" } },
    },
  });
  await eventually(`PVC ${claim} bound`, async () => {
    const pvc = await cluster.get("persistentvolumeclaims", claim, { namespace });
    return (pvc.status as { phase?: string } | undefined)?.phase === "Bound";
  });
  return pv;
};

describe("backup() and restore() with pod volumes (harness plays the node)", () => {
  it("annotations select exactly these volumes; restic Jobs back them up and restore them before the workload starts (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-shop");
    const restored = `pv-restored-${uniqueSuffix()}`;
    onCleanup(() => cluster.delete("namespaces", restored).catch(() => undefined));
    const node = await harnessNode(cluster, [restored]);
    const { store, backend } = await tempS3Location();
    const podVolumes = {
      driver: jobDriver({
        cluster,
        namespace: system,
        image: IMAGE,
        pollIntervalMs: 200,
        timeoutMs: 120_000,
      }),
      backend,
      credentialsNamespace: system,
    };

    const pvName = await localClaim(cluster, app, "shared", node.name);
    const web = await createRunningPod(
      cluster,
      podOnNode({
        namespace: app,
        name: "web-0",
        node: node.name,
        annotations: { "backup.velero.io/backup-volumes": "data,logs,config" },
        volumes: [
          { name: "data", emptyDir: {} },
          { name: "logs", emptyDir: {} },
          { name: "cache", emptyDir: {} },
          { name: "config", configMap: { name: "missing-is-fine" } },
        ],
        labels: { app: "web" },
      }),
    );
    const workers = [];
    for (const name of ["worker-a", "worker-b"]) {
      workers.push(
        await createRunningPod(
          cluster,
          podOnNode({
            namespace: app,
            name,
            node: node.name,
            annotations: { "stowage.dev/backup-volumes": "shared" },
            volumes: [{ name: "shared", persistentVolumeClaim: { claimName: "shared" } }],
          }),
        ),
      );
    }
    const webUid = web.metadata?.uid ?? "";
    await makeTree(node.emptyDir(webUid, "data"), { bigFileBytes: 2 * 1024 * 1024, smallFiles: 100 });
    await makeTree(node.emptyDir(webUid, "logs"), { bigFileBytes: 1024, smallFiles: 10 });
    await makeTree(node.emptyDir(webUid, "cache"), { bigFileBytes: 1024, smallFiles: 3 });
    const sharedDir = join(
      node.kubeletDir,
      "pods",
      workers[0]?.metadata?.uid ?? "",
      "volumes",
      "kubernetes.io~local-volume",
      pvName,
    );
    await makeTree(sharedDir, { bigFileBytes: 1024, smallFiles: 5 });

    const name = `pv-${uniqueSuffix()}`;
    const result = await backup({ cluster, store, name, includedNamespaces: [app], podVolumes });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));

    const keys = backupKeys(name);
    const records = (await readJson<PodVolumeBackupRecord[]>(store, keys.podVolumeBackups)) ?? [];
    assert.deepEqual(
      records.map((r) => [r.spec.pod.name, r.spec.volume, r.status.phase]),
      [
        ["web-0", "data", "Completed"],
        ["web-0", "logs", "Completed"],
        ["worker-a", "shared", "Completed"],
      ],
      "exactly the annotated file volumes, the shared PVC once",
    );
    const backupUid = result.backup.metadata.uid;
    for (const record of records) {
      assert.equal(record.kind, "PodVolumeBackup");
      assert.equal(record.metadata.namespace, "velero");
      assert.equal(record.metadata.labels["velero.io/backup-name"], name);
      assert.equal(record.metadata.labels["velero.io/backup-uid"], backupUid);
      assert.equal(record.spec.node, node.name);
      assert.equal(record.spec.uploaderType, "restic");
      assert.equal(record.spec.backupStorageLocation, "default");
      assert.ok(record.spec.repoIdentifier.endsWith(`/velero/restic/${app}`));
      assert.match(record.status.snapshotID ?? "", /^[0-9a-f]{64}$/);
      assert.equal(record.spec.tags["backup-uid"], backupUid);
    }
    const shared = records[2]!;
    assert.equal(shared.metadata.annotations?.["velero.io/pvc-name"], "shared");
    assert.equal(
      shared.status.path,
      `/var/lib/kubelet/pods/${workers[0]?.metadata?.uid}/volumes/kubernetes.io~local-volume/${pvName}`,
    );
    const volumeInfo = (await readJson<Array<Record<string, unknown>>>(store, keys.volumeInfo)) ?? [];
    assert.deepEqual(
      volumeInfo
        .filter((v) => v.backupMethod === "PodVolumeBackup")
        .map((v) => [v.pvcName, (v.pvbInfo as { volumeName: string }).volumeName]),
      [
        [undefined, "data"],
        [undefined, "logs"],
        ["shared", "shared"],
      ],
    );
    const log = (await getBuffer(store, keys.logs)).length;
    assert.ok(log > 0);

    // restore web-0 into another namespace: restore-wait holds it until a Job restored both volumes
    const restoreName = `r-${uniqueSuffix()}`;
    const outcome = await restore({
      cluster,
      store,
      backupName: name,
      name: restoreName,
      namespaceMapping: { [app]: restored },
      labelSelector: "app=web",
      podVolumes,
    });
    assert.equal(outcome.phase, "Completed", JSON.stringify(outcome.errors));
    const live = await eventually("restored web-0 running", async () => {
      const pod = await cluster.tryGet("pods", "web-0", { namespace: restored });
      return (pod?.status as { phase?: string } | undefined)?.phase === "Running" ? pod : undefined;
    });
    const inits = (live.spec as { initContainers: Array<{ name: string; command: string[] }> })
      .initContainers;
    assert.equal(inits[0]?.name, "restore-wait");
    const newUid = live.metadata?.uid ?? "";
    assert.notEqual(newUid, webUid);
    for (const volume of ["data", "logs"]) {
      const dir = node.emptyDir(newUid, volume);
      assert.ok(!existsSync(join(dir, ".velero")), "restore-wait removed the markers");
      assert.deepEqual(
        await manifest(dir),
        await manifest(node.emptyDir(webUid, volume)),
        `volume ${volume}`,
      );
    }
    assert.ok(
      !existsSync(join(node.emptyDir(newUid, "cache"), "small")),
      "the unselected volume stays empty",
    );
    const waited = node.executed.find((e) => e.namespace === restored && e.container === "restore-wait");
    const restoreJobs = node.executed.filter((e) => e.namespace === system).slice(-2);
    assert.equal(waited?.exitCode, 0);
    assert.ok(
      restoreJobs.every((job) => job.finishedAt <= (waited?.finishedAt ?? 0)),
      "the workload waited for the data",
    );
    const restoreInfo =
      (await readJson<Array<Record<string, unknown>>>(store, restoreKeys(restoreName).volumeInfo)) ?? [];
    assert.deepEqual(
      restoreInfo
        .map((v) => [
          v.restoreMethod,
          (v.pvrInfo as { volumeName: string; Phase: string }).volumeName,
          (v.pvrInfo as { Phase: string }).Phase,
        ])
        .sort(),
      [
        ["PodVolumeRestore", "data", "Completed"],
        ["PodVolumeRestore", "logs", "Completed"],
      ],
    );
  });

  it("a failed volume makes the backup PartiallyFailed naming pod and volume; without a driver a warning names the volumes (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-fail");
    const node = await harnessNode(cluster);
    const { store, backend } = await tempS3Location();
    const good = await createRunningPod(
      cluster,
      podOnNode({
        namespace: app,
        name: "good",
        node: node.name,
        annotations: { "backup.velero.io/backup-volumes": "data" },
      }),
    );
    const broken = await createRunningPod(
      cluster,
      podOnNode({
        namespace: app,
        name: "broken",
        node: node.name,
        annotations: { "backup.velero.io/backup-volumes": "data" },
      }),
    );
    await makeTree(node.emptyDir(good.metadata?.uid ?? "", "data"), { bigFileBytes: 1024, smallFiles: 3 });
    await rm(node.emptyDir(broken.metadata?.uid ?? "", "data"), { recursive: true });

    // the local driver, running "on the node" (its kubelet directory is the harness node's)
    const driver = localDriver({
      resticPath: resticPath(),
      kubeletRootDir: node.kubeletDir,
      cacheDir: false,
    });
    const name = `pv-${uniqueSuffix()}`;
    const result = await backup({
      cluster,
      store,
      name,
      includedNamespaces: [app],
      podVolumes: { driver, backend, credentialsNamespace: system },
    });
    assert.equal(result.phase, "PartiallyFailed");
    const errors = result.errors.namespaces?.[app] ?? [];
    assert.equal(errors.length, 1);
    assert.match(
      errors[0] ?? "",
      new RegExp(`pod volume backup failed: pod ${app}/broken volume data: no directory data of pod`),
    );
    const records = (await readJson<PodVolumeBackupRecord[]>(store, backupKeys(name).podVolumeBackups)) ?? [];
    assert.deepEqual(
      records.map((r) => [r.spec.pod.name, r.status.phase]),
      [
        ["broken", "Failed"],
        ["good", "Completed"],
      ],
    );
    assert.match(records[0]?.status.message ?? "", /no directory data of pod/);

    // a key that does not open the repository: every volume of the namespace fails, nothing is written
    const key = (await findRepositoryKey(cluster, app, { credentialsNamespace: system }))?.reveal() ?? "";
    assert.ok(key.length >= 1024, "a generated key was kept for the new repository");
    const configBefore = await getBuffer(store, `restic/${app}/config`);
    const wrongKey = "a-wrong-key-for-this-repository";
    const secret = await cluster.get("secrets", STOWAGE_KEY_SECRET, { namespace: system });
    await cluster.update("secrets", { ...secret, data: { [app]: Buffer.from(wrongKey).toString("base64") } });
    const refused = await backup({
      cluster,
      store,
      name: `pv-${uniqueSuffix()}`,
      includedNamespaces: [app],
      podVolumes: { driver, backend, credentialsNamespace: system },
    });
    assert.equal(refused.phase, "PartiallyFailed");
    const refusedErrors = refused.errors.namespaces?.[app] ?? [];
    assert.ok(
      refusedErrors.some((e) =>
        e.includes(
          `pod volume backup failed: pod ${app}/good volume data: wrong repository key for namespace ${app}`,
        ),
      ),
      JSON.stringify(refusedErrors),
    );
    assert.deepEqual(
      await getBuffer(store, `restic/${app}/config`),
      configBefore,
      "the repository was not re-created",
    );
    const logText = gunzipSync(await getBuffer(store, backupKeys(refused.name).logs)).toString("utf8");
    assert.match(logText, /wrong repository key/);
    for (const text of [logText, JSON.stringify(refused), JSON.stringify(result)]) {
      assert.ok(
        !text.includes(key) && !text.includes(wrongKey),
        "a repository key leaked into logs or results",
      );
    }

    const unconfigured = await backup({
      cluster,
      store,
      name: `pv-${uniqueSuffix()}`,
      includedNamespaces: [app],
    });
    assert.equal(unconfigured.phase, "Completed");
    const warnings = unconfigured.warnings.namespaces?.[app] ?? [];
    assert.ok(
      warnings.some((w) =>
        w.includes(
          `pod volumes data of pod ${app}/good are selected for file-system backup, but the backup has no podVolumes driver`,
        ),
      ),
      JSON.stringify(warnings),
    );
    assert.equal(
      await readJson(store, backupKeys(unconfigured.name).podVolumeBackups),
      null,
      "Velero writes null when there are none",
    );
  });
});

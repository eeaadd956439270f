import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../../lib/index.ts";
import type { VolumeBackupOutcome } from "../../lib/podvolume/driver.ts";
import {
  completedPodVolumeBackup,
  failedPodVolumeBackup,
  newPodVolumeBackup,
  podVolumeInfo,
} from "../../lib/podvolume/records.ts";
import { RESTORE_WAIT, restoreWaitContainer, withRestoreWait } from "../../lib/podvolume/restore-wait.ts";
import { selectPodVolumes, volumeDirectory } from "../../lib/podvolume/selection.ts";

/** A pod with one volume of every kind, each mounted by the container. */
const pod = (annotations: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-0", namespace: "shop", uid: "pod-uid-1", annotations },
  spec: {
    nodeName: "node-1",
    containers: [
      {
        name: "web",
        volumeMounts: [
          "data",
          "cache",
          "claim",
          "host",
          "secret",
          "config",
          "projected",
          "downward",
          "default-token-x",
        ].map((name) => ({ name, mountPath: `/${name}` })),
        volumeDevices: [{ name: "raw", devicePath: "/dev/raw" }],
      },
    ],
    volumes: [
      { name: "data", emptyDir: {} },
      { name: "cache", emptyDir: { medium: "Memory" } },
      { name: "claim", persistentVolumeClaim: { claimName: "data-web-0" } },
      { name: "host", hostPath: { path: "/var/log" } },
      { name: "secret", secret: { secretName: "s" } },
      { name: "config", configMap: { name: "c" } },
      { name: "projected", projected: { sources: [] } },
      { name: "downward", downwardAPI: { items: [] } },
      { name: "default-token-x", secret: { secretName: "default-token-x" } },
      { name: "raw", persistentVolumeClaim: { claimName: "raw" } },
      { name: "unmounted", emptyDir: {} },
    ],
    ...extra,
  },
});

const selected = (p: KubeObject, options: Parameters<typeof selectPodVolumes>[1] = {}) =>
  selectPodVolumes(p, options).selected.map((v) => v.name);

describe("pod volume selection (annotations → exactly these volumes)", () => {
  const table: Array<[string, Record<string, string>, Parameters<typeof selectPodVolumes>[1], string[]]> = [
    ["no annotation, opt-in: nothing", {}, {}, []],
    ["Velero's annotation", { "backup.velero.io/backup-volumes": "data,claim" }, {}, ["data", "claim"]],
    ["Stowage's annotation", { "stowage.dev/backup-volumes": "cache" }, {}, ["cache"]],
    ["Ark's annotation", { "backup.ark.heptio.com/backup-volumes": "data" }, {}, ["data"]],
    [
      "all three annotations are joined, without duplicates",
      {
        "backup.velero.io/backup-volumes": "data",
        "stowage.dev/backup-volumes": "cache,data",
        "backup.ark.heptio.com/backup-volumes": "claim",
      },
      {},
      ["data", "cache", "claim"],
    ],
    [
      "kinds never backed up are skipped even when annotated",
      { "backup.velero.io/backup-volumes": "host,secret,config,projected,downward,default-token-x,data" },
      {},
      ["data"],
    ],
    [
      "block devices, unmounted and unknown volumes are skipped",
      { "backup.velero.io/backup-volumes": "raw,unmounted,nope,cache" },
      {},
      ["cache"],
    ],
    ["opt-out: every file volume", {}, { defaultVolumesToFsBackup: true }, ["data", "cache", "claim"]],
    [
      "opt-out with Velero's and Stowage's excludes",
      { "backup.velero.io/backup-volumes-excludes": "cache", "stowage.dev/backup-volumes-excludes": "claim" },
      { defaultVolumesToFsBackup: true },
      ["data"],
    ],
    [
      "excludes mean nothing in opt-in mode",
      { "backup.velero.io/backup-volumes": "cache", "backup.velero.io/backup-volumes-excludes": "cache" },
      {},
      ["cache"],
    ],
    [
      "PVC volumes are skipped when the backup excludes PVCs",
      { "backup.velero.io/backup-volumes": "data,claim" },
      { includesPvcs: false },
      ["data"],
    ],
  ];
  for (const [name, annotations, options, expected] of table) {
    it(name, () => assert.deepEqual(selected(pod(annotations), options), expected));
  }

  it("says why each volume is skipped, warning only for surprises", () => {
    const { skipped, selected: chosen } = selectPodVolumes(
      pod({ "backup.velero.io/backup-volumes": "host,nope,unmounted,claim" }),
    );
    assert.deepEqual(chosen, [{ name: "claim", claimName: "data-web-0" }]);
    assert.deepEqual(
      skipped.map((s) => [s.name, s.warn]),
      [
        ["host", true],
        ["nope", true],
        ["unmounted", true],
      ],
    );
    const optOut = selectPodVolumes(pod({}), { defaultVolumesToFsBackup: true }).skipped;
    assert.ok(optOut.filter((s) => ["host", "secret", "config"].includes(s.name)).every((s) => !s.warn));
  });

  it("finds the volume's directory as Velero's GetVolumeDirectory", () => {
    const pv = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: "pv-1" }, spec });
    assert.equal(volumeDirectory({ name: "data" }), "data");
    assert.equal(volumeDirectory({ name: "claim", claimName: "c" }, pv({ local: { path: "/x" } })), "pv-1");
    assert.equal(
      volumeDirectory({ name: "claim", claimName: "c" }, pv({ csi: { driver: "d" } })),
      "pv-1/mount",
    );
    assert.equal(
      volumeDirectory({ name: "claim", claimName: "c" }, pv({ csi: { driver: "d" }, volumeMode: "Block" })),
      "pv-1",
    );
  });
});

describe("PodVolumeBackup records (Velero's shape)", () => {
  const backup = { name: "shop-nightly", uid: "backup-uid-1", storageLocation: "default" };
  const pvc: KubeObject = { metadata: { name: "data-web-0", namespace: "shop", uid: "pvc-uid-1" } };
  const outcome: VolumeBackupOutcome = {
    snapshotId: "f".repeat(64),
    path: "/var/lib/kubelet/pods/pod-uid-1/volumes/kubernetes.io~csi/pv-1/mount",
    progress: { totalBytes: 1234, bytesDone: 1234 },
    incrementalBytes: 99,
    summary: {} as VolumeBackupOutcome["summary"],
    warnings: [],
    startTimestamp: new Date("2026-11-22T03:00:01Z"),
    completionTimestamp: new Date("2026-11-22T03:00:09Z"),
  };

  it("has Velero's metadata, spec (fields in Go's order, tags sorted) and status", () => {
    const record = newPodVolumeBackup({
      backup,
      pod: pod({}),
      volume: "claim",
      pvc,
      repoIdentifier: "s3:http://minio:9000/b/velero/restic/shop",
      created: new Date("2026-11-22T03:00:00Z"),
    });
    assert.match(record.metadata.name, /^shop-nightly-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const { name: _name, uid, ...metadata } = record.metadata;
    assert.match(uid, /^[0-9a-f-]{36}$/);
    assert.deepEqual(metadata, {
      generateName: "shop-nightly-",
      namespace: "velero",
      creationTimestamp: "2026-11-22T03:00:00Z",
      labels: {
        "velero.io/backup-name": "shop-nightly",
        "velero.io/backup-uid": "backup-uid-1",
        "velero.io/pvc-uid": "pvc-uid-1",
      },
      annotations: { "velero.io/pvc-name": "data-web-0" },
      ownerReferences: [
        {
          apiVersion: "velero.io/v1",
          kind: "Backup",
          name: "shop-nightly",
          uid: "backup-uid-1",
          controller: true,
        },
      ],
    });
    assert.deepEqual(Object.keys(record.spec), [
      "node",
      "pod",
      "volume",
      "backupStorageLocation",
      "repoIdentifier",
      "uploaderType",
      "tags",
    ]);
    assert.deepEqual(record.spec.pod, { kind: "Pod", namespace: "shop", name: "web-0", uid: "pod-uid-1" });
    assert.deepEqual(Object.entries(record.spec.tags), [
      ["backup", "shop-nightly"],
      ["backup-uid", "backup-uid-1"],
      ["ns", "shop"],
      ["pod", "web-0"],
      ["pod-uid", "pod-uid-1"],
      ["pvc-uid", "pvc-uid-1"],
      ["volume", "claim"],
    ]);
    assert.deepEqual(record.status, { phase: "New", progress: {} });

    const done = completedPodVolumeBackup(record, outcome);
    assert.deepEqual(done.status, {
      phase: "Completed",
      path: outcome.path,
      snapshotID: outcome.snapshotId,
      startTimestamp: "2026-11-22T03:00:01Z",
      completionTimestamp: "2026-11-22T03:00:09Z",
      progress: { totalBytes: 1234, bytesDone: 1234 },
      incrementalBytes: 99,
    });
    assert.deepEqual(Object.keys(done.status), [
      "phase",
      "path",
      "snapshotID",
      "startTimestamp",
      "completionTimestamp",
      "progress",
      "incrementalBytes",
    ]);
    const failed = failedPodVolumeBackup(record, "boom", undefined, new Date("2026-11-22T03:00:02Z"));
    assert.deepEqual(failed.status, {
      phase: "Failed",
      message: "boom",
      completionTimestamp: "2026-11-22T03:00:02Z",
      progress: {},
    });

    const pv: KubeObject = {
      metadata: { name: "pv-1", labels: { zone: "a" } },
      spec: { persistentVolumeReclaimPolicy: "Delete" },
    };
    assert.deepEqual(podVolumeInfo(done, { pvc, pv }), {
      pvcName: "data-web-0",
      pvcNamespace: "shop",
      pvName: "pv-1",
      backupMethod: "PodVolumeBackup",
      snapshotDataMoved: false,
      preserveLocalSnapshot: false,
      skipped: false,
      startTimestamp: "2026-11-22T03:00:01Z",
      completionTimestamp: "2026-11-22T03:00:09Z",
      result: "succeeded",
      pvbInfo: {
        snapshotHandle: outcome.snapshotId,
        size: 1234,
        incrementalSize: 99,
        uploaderType: "restic",
        volumeName: "claim",
        podName: "web-0",
        podNamespace: "shop",
        nodeName: "node-1",
        Phase: "Completed",
      },
      pvInfo: { reclaimPolicy: "Delete", labels: { zone: "a" } },
    });
  });
});

describe("restore-wait init container", () => {
  it("is prepended with Velero's mounts, argument, env and limits, replacing an earlier one", () => {
    const restored: KubeObject = {
      metadata: { name: "web-0", namespace: "shop" },
      spec: {
        initContainers: [{ name: "restic-wait" }, { name: "migrate" }],
        containers: [{ name: "web", securityContext: { runAsUser: 101 } }],
      },
    };
    const container = restoreWaitContainer(restored, ["data", "claim"], "restore-uid-1", "stowage:0.1.0");
    const updated = withRestoreWait(restored, container);
    const inits = (updated.spec as { initContainers: Array<Record<string, unknown>> }).initContainers;
    assert.deepEqual(
      inits.map((c) => c.name),
      [RESTORE_WAIT, "migrate"],
    );
    assert.deepEqual((container.command as string[]).slice(3), [
      "restore-wait",
      "restore-uid-1",
      "/restores/data",
      "/restores/claim",
    ]);
    assert.deepEqual(container.volumeMounts, [
      { name: "data", mountPath: "/restores/data" },
      { name: "claim", mountPath: "/restores/claim" },
    ]);
    assert.deepEqual(container.securityContext, { runAsUser: 101 });
    assert.deepEqual(container.resources, {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "100m", memory: "128Mi" },
    });
    assert.deepEqual(
      (container.env as Array<{ name: string }>).map((e) => e.name),
      ["POD_NAMESPACE", "POD_NAME"],
    );
    const none = withRestoreWait(restored, undefined);
    assert.deepEqual(
      (none.spec as { initContainers: Array<{ name: string }> }).initContainers.map((c) => c.name),
      ["migrate"],
    );
  });
});

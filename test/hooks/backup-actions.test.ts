import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { podBackupAction } from "../../hooks/backup/pod.ts";
import { pvcBackupAction } from "../../hooks/backup/pvc.ts";
import { createBuiltinBackupActions, createBuiltinRestoreActions } from "../../hooks/index.ts";
import { resolveActions } from "../../lib/actions/registry.ts";
import { runBackupActions } from "../../lib/actions/run.ts";
import type { BackupItemActionOutput, KubeObject } from "../../lib/index.ts";
import {
  backupInfo,
  backupInput,
  fakeDiscovery,
  field,
  noCluster,
  recordingLog,
} from "../actions/support.ts";

const run = async (action: ReturnType<typeof podBackupAction>, item: KubeObject, backupName = "nightly-1") =>
  (await action.execute(backupInput(item, { backup: backupInfo(backupName) }))) as
    | BackupItemActionOutput
    | undefined;

describe("built-in action sets", () => {
  test("resolve against a typical cluster without problems or warnings, in Velero's order (names sorted)", () => {
    const backup = resolveActions(createBuiltinBackupActions(), fakeDiscovery());
    assert.deepEqual(backup.warnings, []);
    const backupNames = backup.actions.map((a) => a.name);
    assert.deepEqual(backupNames, ["velero.io/pod", "velero.io/pv", "velero.io/service-account"]);
    const restore = resolveActions(
      createBuiltinRestoreActions({ pluginConfigNamespace: "velero" }),
      fakeDiscovery(),
    );
    assert.deepEqual(restore.warnings, []);
    const restoreNames = restore.actions.map((a) => a.name);
    assert.deepEqual(restoreNames, [...restoreNames].sort());
    assert.equal(new Set(restoreNames).size, 14);
  });

  test("apply to the resources Velero's do", () => {
    const backup = resolveActions(createBuiltinBackupActions(), fakeDiscovery());
    const names = (gr: string, ns?: string) =>
      backup.forItem({ groupResource: gr, namespace: ns }).map((a) => a.name);
    assert.deepEqual(names("pods", "shop"), ["velero.io/pod"]);
    assert.deepEqual(names("persistentvolumeclaims", "shop"), ["velero.io/pv"]);
    assert.deepEqual(names("serviceaccounts", "shop"), ["velero.io/service-account"]);
    assert.deepEqual(names("persistentvolumes"), []);
    const restore = resolveActions(createBuiltinRestoreActions(), fakeDiscovery());
    const r = (gr: string, ns?: string, labels?: Record<string, string>) =>
      restore.forItem({ groupResource: gr, namespace: ns, labels }).map((a) => a.name);
    assert.deepEqual(r("pods", "shop"), [
      "velero.io/add-pvc-from-pod",
      "velero.io/change-image-name",
      "velero.io/pod",
    ]);
    assert.deepEqual(r("persistentvolumeclaims", "shop"), [
      "velero.io/change-storage-class",
      "velero.io/pvc",
    ]);
    assert.deepEqual(r("persistentvolumes"), ["velero.io/change-storage-class"]);
    assert.deepEqual(r("statefulsets.apps", "shop"), [
      "velero.io/change-image-name",
      "velero.io/change-storage-class",
    ]);
    assert.deepEqual(r("jobs.batch", "shop"), ["velero.io/change-image-name", "velero.io/job"]);
    assert.deepEqual(r("apiservices.apiregistration.k8s.io"), []);
    assert.deepEqual(
      r("apiservices.apiregistration.k8s.io", undefined, {
        "kube-aggregator.kubernetes.io/automanaged": "onstart",
      }),
      ["velero.io/apiservice"],
    );
  });
});

describe("velero.io/pod (backup)", () => {
  test("adds the PriorityClass, then each claim in the pod's namespace; the pod is unchanged", async () => {
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "db-0", namespace: "shop" },
      spec: {
        priorityClassName: "critical",
        containers: [{ name: "db", image: "postgres:17" }],
        volumes: [
          { name: "data", persistentVolumeClaim: { claimName: "data-db-0" } },
          { name: "config", configMap: { name: "db-config" } },
          { name: "wal", persistentVolumeClaim: { claimName: "wal-db-0", readOnly: true } },
          { name: "empty", persistentVolumeClaim: { claimName: "" } },
        ],
      },
    };
    const before = structuredClone(pod);
    const out = await run(podBackupAction(), pod);
    assert.deepEqual(out, {
      additionalItems: [
        { resource: "priorityclasses.scheduling.k8s.io", name: "critical" },
        { resource: "persistentvolumeclaims", namespace: "shop", name: "data-db-0" },
        { resource: "persistentvolumeclaims", namespace: "shop", name: "wal-db-0" },
      ],
    });
    assert.deepEqual(pod, before);
  });

  test("a pod without claims or priority class asks for nothing", async () => {
    const out = await run(podBackupAction(), {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web", namespace: "shop" },
      spec: { containers: [{ name: "web", image: "nginx" }] },
    });
    assert.equal(out, undefined);
  });
});

describe("velero.io/pv (backup, on claims)", () => {
  const boundClaim = (): KubeObject => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: "data-db-0",
      namespace: "shop",
      labels: {
        app: "db",
        "velero.io/restore-name": "old-restore",
        "velero.io/backup-name": "old-backup",
        "velero.io/volume-snapshot-name": "velero-data-db-0-abcde",
        "backup.velero.io/must-include-additional-items": "true",
      },
      annotations: { "pv.kubernetes.io/bind-completed": "yes" },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "standard",
      volumeName: "pvc-1234",
      resources: { requests: { storage: "1Gi" } },
      dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap-1" },
      dataSourceRef: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap-1" },
      selector: { matchLabels: { "velero.io/restore-name": "old-restore", tier: "db" } },
    },
    status: { phase: "Bound", capacity: { storage: "1Gi" } },
  });

  test("a bound claim loses dataSource, dataSourceRef, selector and stale Velero labels, and brings its PV", async () => {
    const claim = boundClaim();
    const out = await run(pvcBackupAction(), claim);
    assert.deepEqual(out?.additionalItems, [{ resource: "persistentvolumes", name: "pvc-1234" }]);
    assert.deepEqual(out?.item, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "data-db-0",
        namespace: "shop",
        labels: { app: "db" },
        annotations: { "pv.kubernetes.io/bind-completed": "yes" },
      },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "standard",
        volumeName: "pvc-1234",
        resources: { requests: { storage: "1Gi" } },
      },
      status: { phase: "Bound", capacity: { storage: "1Gi" } },
    });
  });

  test('storageClassName "" keeps the selector, minus velero.io/* match labels', async () => {
    const claim = boundClaim();
    (claim["spec"] as Record<string, unknown>)["storageClassName"] = "";
    const out = await run(pvcBackupAction(), claim);
    assert.deepEqual(field<Record<string, unknown>>(out, "spec")["selector"], {
      matchLabels: { tier: "db" },
    });
  });

  test("a selector left with only velero.io/* match labels loses matchLabels", async () => {
    const claim = boundClaim();
    const spec = claim["spec"] as Record<string, unknown>;
    spec["storageClassName"] = "";
    spec["selector"] = { matchLabels: { "velero.io/backup-name": "x" } };
    const out = await run(pvcBackupAction(), claim);
    assert.deepEqual(field<Record<string, unknown>>(out, "spec")["selector"], {});
  });

  test("no storageClassName at all clears the selector (dynamic provisioning on restore)", async () => {
    const claim = boundClaim();
    delete (claim["spec"] as Record<string, unknown>)["storageClassName"];
    const out = await run(pvcBackupAction(), claim);
    assert.equal(field<Record<string, unknown>>(out, "spec")["selector"], undefined);
  });

  test("velero.io/backup-name naming this backup stays; a claim left without labels loses the map", async () => {
    const claim = boundClaim();
    const kept = await run(pvcBackupAction(), structuredClone(claim), "old-backup");
    assert.deepEqual(kept?.item?.metadata?.labels, { app: "db", "velero.io/backup-name": "old-backup" });
    delete claim.metadata!.labels!["app"];
    const emptied = await run(pvcBackupAction(), claim);
    assert.equal(emptied?.item?.metadata?.labels, undefined);
    assert.ok(!("labels" in (emptied?.item?.metadata ?? {})));
  });

  test("claims that are not Bound, or have no volumeName, are left alone", async () => {
    const pending = boundClaim();
    (pending["status"] as Record<string, unknown>)["phase"] = "Pending";
    assert.equal(await run(pvcBackupAction(), pending), undefined);
    const noVolume = boundClaim();
    delete (noVolume["spec"] as Record<string, unknown>)["volumeName"];
    assert.equal(await run(pvcBackupAction(), noVolume), undefined);
    assert.deepEqual(pending.metadata?.labels?.["velero.io/restore-name"], "old-restore");
  });

  test("through the runner: the written claim is cleaned and the PV comes first", async () => {
    const set = resolveActions(createBuiltinBackupActions(), fakeDiscovery());
    const claim = boundClaim();
    const outcome = await runBackupActions(
      set.forItem({ groupResource: "persistentvolumeclaims", namespace: "shop" }),
      {
        item: claim,
        backup: backupInfo(),
        log: recordingLog().log,
        cluster: noCluster,
        signal: new AbortController().signal,
        groupResource: "persistentvolumeclaims",
      },
    );
    assert.deepEqual(outcome.errors, []);
    assert.deepEqual(outcome.additionalItems, [
      { resource: "persistentvolumes", name: "pvc-1234", action: "velero.io/pv", mustInclude: false },
    ]);
    assert.deepEqual(outcome.item.metadata?.labels, { app: "db" });
    // the collector's copy is untouched
    assert.equal(claim.metadata?.labels?.["velero.io/restore-name"], "old-restore");
  });
});

/**
 * The one backup → delete → restore → delete-backup round trip every snapshot provider must pass, against
 * the real control plane: a PV for a provider volume bound to a claim, a backup with snapshotVolumes,
 * the namespace and PV deleted, a restore that creates a new volume from the snapshot, and a
 * deleteBackup that deletes the snapshot. Provider-specific checks come from a {@link ProviderFixture}.
 */
import assert from "node:assert/strict";
import {
  type BackupOptions,
  backup,
  type Cluster,
  deleteBackup,
  isNotFound,
  type KubeObject,
  type NativeSnapshotRecord,
  type ObjectStore,
  restore,
  type VolumeSnapshotLocation,
} from "../../lib/index.ts";
import { decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { apply, eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

/** How a PV refers to its volume: the in-tree volume source, the provider's CSI driver, or (local provider) a `local` PV. */
export type PvKind = "in-tree" | "csi" | "local" | "regional";

/** A provider volume made for one test, and the PV fields that point at it. */
export interface TestVolume {
  readonly volumeId: string;
  /** The PV's volume source (`{ awsElasticBlockStore: … }`, `{ csi: … }`, `{ hostPath: … }`) and node affinity. */
  readonly spec: Record<string, unknown>;
  readonly labels?: Record<string, string>;
}

export interface ProviderFixture {
  readonly location: VolumeSnapshotLocation;
  /** Creates a volume in the provider. */
  makeVolume(kind: PvKind, suffix: string): Promise<TestVolume>;
  /** The volume ID a PV points at (the provider's own reading, to compare with). */
  volumeIdOf(pv: KubeObject): string;
  /** Checks the provider-side snapshot after the backup (tags, source volume). */
  checkSnapshot(
    record: NativeSnapshotRecord,
    context: { backupName: string; pvName: string; volume: TestVolume },
  ): Promise<void>;
  /** Checks the volume the restore created from the snapshot. */
  checkRestored(volumeId: string, record: NativeSnapshotRecord, volume: TestVolume): Promise<void>;
  /** Checks the snapshot is gone after deleteBackup. */
  checkDeleted(record: NativeSnapshotRecord): Promise<void>;
}

/** Resolves once `resource/name` no longer exists. */
export const gone = (cluster: Cluster, resource: string, name: string, namespace?: string) =>
  eventually(`${resource} ${name} deleted`, async () => {
    try {
      await cluster.get(resource, name, namespace ? { namespace } : {});
      return false;
    } catch (error) {
      return isNotFound(error);
    }
  });

/** A PV for `volume`, claimed by `namespace/data`, and that claim; waits until it is Bound. */
export const makeClaimedPv = async (
  cluster: Cluster,
  namespace: string,
  pvName: string,
  volume: TestVolume,
) => {
  onCleanup(() => cluster.delete("persistentvolumes", pvName).catch(() => undefined));
  await apply(cluster, [
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: pvName, labels: { app: "snap", ...volume.labels } },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        claimRef: { namespace, name: "data" },
        ...volume.spec,
      },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "",
        volumeName: pvName,
        resources: { requests: { storage: "1Gi" } },
      },
    },
  ]);
  await eventually("PVC bound", async () => {
    const pvc = await cluster.get("persistentvolumeclaims", "data", { namespace });
    return (pvc.status as { phase?: string } | undefined)?.phase === "Bound";
  });
};

/** A gzipped JSON sidecar of a backup or restore. */
export const readJsonGz = async <T>(store: ObjectStore, key: string): Promise<T> =>
  decodeJsonGz(await getBuffer(store, key)) as T;

/**
 * A fresh namespace with a claimed PV on a new provider volume, backed up (`b-<namespace>`) with the
 * fixture's location into a new directory store.
 */
export const backedUpPv = async (
  fixture: ProviderFixture,
  kind: PvKind,
  prefix: string,
  options: Partial<BackupOptions> = {},
) => {
  const cluster = await connectTest();
  const ns = await makeNamespace(cluster, prefix);
  const pvName = `pv-${ns}`;
  const volume = await fixture.makeVolume(kind, ns);
  await makeClaimedPv(cluster, ns, pvName, volume);
  const store = tempFsStore();
  const result = await backup({
    cluster,
    store,
    name: `b-${ns}`,
    includedNamespaces: [ns],
    volumeSnapshotLocations: [fixture.location],
    ...options,
  });
  return { cluster, ns, pvName, volume, store, backup: result };
};

/** `nativeSnapshotInfo` as Velero writes it for `record`. */
const expectedInfo = (record: NativeSnapshotRecord, phase: string) => ({
  snapshotHandle: record.status.providerSnapshotID,
  volumeType: record.spec.volumeType,
  volumeAZ: record.spec.volumeAZ ?? "",
  iops: String(record.spec.volumeIOPS ?? 0),
  Phase: phase,
});

/** The round trip; returns what it made for extra checks. */
export const roundTrip = async (fixture: ProviderFixture, kind: PvKind) => {
  const progress: string[] = [];
  const made = await backedUpPv(fixture, kind, `snap-${kind}`, {
    snapshotTimeoutMs: 60_000,
    onProgress: (p) => {
      if (p.volumeSnapshot) progress.push(`${p.volumeSnapshot.persistentVolume}: ${p.volumeSnapshot.state}`);
    },
  });
  const { cluster, ns, pvName, volume, store, backup: b } = made;
  const backupName = b.name;
  const locations = [fixture.location];
  assert.equal(b.phase, "Completed", JSON.stringify(b.errors));
  assert.deepEqual(b.backup.spec.volumeSnapshotLocations, [fixture.location.name]);
  assert.equal(b.backup.status?.volumeSnapshotsAttempted, 1);
  assert.equal(b.backup.status?.volumeSnapshotsCompleted, 1);

  const prefix = `backups/${backupName}/${backupName}`;
  const records = await readJsonGz<NativeSnapshotRecord[]>(store, `${prefix}-volumesnapshots.json.gz`);
  assert.equal(records.length, 1);
  const record = records[0]!;
  assert.deepEqual(Object.keys(record), ["spec", "status"]);
  assert.equal(record.spec.backupName, backupName);
  assert.equal(record.spec.backupUID, b.backup.metadata.uid);
  assert.equal(record.spec.location, fixture.location.name);
  assert.equal(record.spec.persistentVolumeName, pvName);
  assert.equal(record.spec.providerVolumeID, volume.volumeId);
  assert.equal(record.status.phase, "Completed");
  assert.ok(record.status.providerSnapshotID, "the record has the provider's snapshot ID");
  const snapshotId = record.status.providerSnapshotID;

  const infos = await readJsonGz<Array<Record<string, unknown>>>(store, `${prefix}-volumeinfo.json.gz`);
  assert.deepEqual(infos, [
    {
      pvcName: "data",
      pvcNamespace: ns,
      pvName,
      backupMethod: "NativeSnapshot",
      snapshotDataMoved: false,
      preserveLocalSnapshot: false,
      skipped: false,
      result: "succeeded",
      nativeSnapshotInfo: expectedInfo(record, "Completed"),
      pvInfo: { reclaimPolicy: "Retain", labels: { app: "snap", ...volume.labels } },
    },
  ]);
  await fixture.checkSnapshot(record, { backupName, pvName, volume });

  // the disaster: the namespace and the PV are gone
  await cluster.delete("namespaces", ns);
  await gone(cluster, "namespaces", ns);
  await cluster.delete("persistentvolumes", pvName);
  await gone(cluster, "persistentvolumes", pvName);

  const r = await restore({ cluster, store, backupName, volumeSnapshotLocations: locations });
  assert.equal(r.phase, "Completed", JSON.stringify(r.errors));
  const entry = r.plan.find((e) => e.resource === "persistentvolumes");
  assert.equal(entry?.action, "create");
  assert.match(entry?.reason ?? "", new RegExp(`created from snapshot ${snapshotId}`));
  const restored = await cluster.get("persistentvolumes", pvName);
  const newVolumeId = fixture.volumeIdOf(restored);
  assert.ok(
    newVolumeId && newVolumeId !== volume.volumeId,
    `the PV points at a new volume (got ${newVolumeId})`,
  );
  await fixture.checkRestored(newVolumeId, record, volume);
  await eventually("restored claim bound to the restored PV", async () => {
    const pvc = await cluster.get("persistentvolumeclaims", "data", { namespace: ns });
    const spec = pvc.spec as { volumeName?: string };
    return spec.volumeName === pvName && (pvc.status as { phase?: string } | undefined)?.phase === "Bound";
  });
  const restoreInfos = await readJsonGz<Array<Record<string, unknown>>>(
    store,
    `restores/${r.name}/${r.name}-volumeinfo.json.gz`,
  );
  assert.deepEqual(restoreInfos, [
    {
      pvcName: "data",
      pvcNamespace: ns,
      pvName,
      restoreMethod: "NativeSnapshot",
      snapshotDataMoved: false,
      nativeSnapshotInfo: expectedInfo(record, ""),
    },
  ]);

  const deleted = await deleteBackup(store, backupName, { volumeSnapshotLocations: locations });
  assert.deepEqual(deleted.deletedSnapshots, [snapshotId]);
  assert.ok(deleted.deleted.includes(`${prefix.replace(/\/[^/]+$/, "")}/velero-backup.json`));
  await fixture.checkDeleted(record);
  return { cluster, ns, pvName, record, store, progress, newVolumeId };
};

/**
 * What a restore knows about a backup's pod volumes: the PodVolumeBackups of `<backup>-podvolumebackups.json.gz`
 * (or Velero ≤ 1.0's pod annotations), the snapshots of one restored pod, and Velero's `RestoreVolumeInfo`.
 */
import type { KubeObject } from "../kube/types.ts";
import { openCatalog } from "../store/catalog.ts";
import { nullIfNotFound, type ObjectStore } from "../store/object-store.ts";
import { checkRecordList } from "../util/record-list.ts";
import type { PodVolumeBackupRecord } from "./records.ts";

/** Pod annotations of Velero ≤ 1.0 / Ark that named restic snapshots per volume. */
const LEGACY_ANNOTATION_PREFIXES = ["snapshot.velero.io/", "snapshot.ark.heptio.com/"];

/** One volume of a restored pod to fill from a snapshot. */
export interface PendingVolume {
  readonly volume: string;
  readonly snapshotId: string;
}

/** Reads `<backup>-podvolumebackups.json.gz` (`null` or absent: none); a FormatError unless it is a list of objects. */
export const readPodVolumeBackups = async (
  store: ObjectStore,
  backupName: string,
): Promise<PodVolumeBackupRecord[]> => {
  const read = openCatalog(store).getBackupJson<PodVolumeBackupRecord[]>(backupName, "podVolumeBackups");
  const records = (await nullIfNotFound(read)) ?? [];
  checkRecordList(backupName, "podvolumebackups.json.gz", "PodVolumeBackups", records);
  return records;
};

const NON_RESTORABLE = ["projected", "downwardAPI"];

/** The snapshots of `pod`'s volumes: from PodVolumeBackups, else from legacy pod annotations. */
export const snapshotsOf = (
  records: readonly PodVolumeBackupRecord[],
  pod: KubeObject,
  sourceNamespace: string,
): PendingVolume[] => {
  const volumes = new Map(
    (
      ((pod.spec as { volumes?: Array<Record<string, unknown> & { name: string }> })?.volumes ?? []) as Array<
        Record<string, unknown> & { name: string }
      >
    ).map((v) => [v.name, v]),
  );
  const restorable = (name: string) => {
    const volume = volumes.get(name);
    return volume !== undefined && !NON_RESTORABLE.some((source) => volume[source] !== undefined);
  };
  const fromRecords = records
    .filter(
      (r) =>
        r.spec?.pod?.name === pod.metadata?.name &&
        r.spec?.pod?.namespace === sourceNamespace &&
        r.status?.snapshotID &&
        restorable(r.spec.volume),
    )
    .map((r) => ({ volume: r.spec.volume, snapshotId: r.status.snapshotID! }));
  if (fromRecords.length) return fromRecords;
  const annotations = pod.metadata?.annotations ?? {};
  return Object.entries(annotations).flatMap(([key, value]) => {
    const prefix = LEGACY_ANNOTATION_PREFIXES.find((p) => key.startsWith(p));
    const volume = prefix ? key.slice(prefix.length) : "";
    return prefix && value && restorable(volume) ? [{ volume, snapshotId: value }] : [];
  });
};

/** Velero's `RestoreVolumeInfo` for one pod volume restore (`restoreMethod: PodVolumeRestore`). */
export const restoreVolumeInfo = (
  pod: { readonly namespace: string; readonly name: string },
  node: string,
  volume: PendingVolume,
  phase: "Completed" | "Failed",
  size: number,
  pvc?: KubeObject,
  pv?: KubeObject,
): Record<string, unknown> => ({
  ...(pvc && pv
    ? { pvcName: pvc.metadata?.name, pvcNamespace: pvc.metadata?.namespace, pvName: pv.metadata?.name }
    : {}),
  restoreMethod: "PodVolumeRestore",
  snapshotDataMoved: false,
  pvrInfo: {
    snapshotHandle: volume.snapshotId,
    ...(size ? { size } : {}),
    uploaderType: "restic",
    volumeName: volume.volume,
    podName: pod.name,
    podNamespace: pod.namespace,
    nodeName: node,
    Phase: phase,
  },
});

/**
 * Snapshots outside a backup: {@link snapshot} takes one of a PV (or of a claim's PV) now, and
 * {@link volumeFromSnapshot} makes a new PV — and, if asked, a claim bound to it — from such a snapshot.
 */
import { randomBytes } from "node:crypto";
import { ValidationError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { createReconciled } from "../kube/create.ts";
import type { KubeObject } from "../kube/types.ts";
import { SnapshotError } from "./errors.ts";
import {
  checkSnapshotLocations,
  findSnapshotter,
  openSnapshotLocations,
  type SnapshotLocations,
} from "./locations.ts";
import { volumeZone } from "./pv.ts";
import { newSnapshotRecord } from "./records.ts";
import type { NativeSnapshotRecord, OperationOptions, VolumeSnapshotLocation } from "./types.ts";

/** A claim by namespace and name. */
export interface ClaimRef {
  readonly namespace: string;
  readonly name: string;
}

/** Options of {@link snapshot}. Exactly one of `persistentVolume` and `persistentVolumeClaim`. */
export interface SnapshotOptions extends OperationOptions {
  /** The cluster holding the volume, from `connect()`. */
  readonly cluster: Cluster;
  /** Where to take the snapshot (its config and credentials are checked first). */
  readonly location: VolumeSnapshotLocation;
  /** Name of the PV to snapshot. */
  readonly persistentVolume?: string;
  /** A bound claim whose PV is snapshotted. */
  readonly persistentVolumeClaim?: ClaimRef;
  /** Tags for the snapshot, besides `velero.io/pv` (always set). @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A snapshot taken by {@link snapshot}: the record in Velero's shape and the objects it was taken of. */
export interface VolumeSnapshot {
  /** Velero's `volume.Snapshot`, with empty `backupName` and `backupUID` (no backup owns it). */
  readonly record: NativeSnapshotRecord;
  /** The PV as it was when snapshotted: the template of {@link volumeFromSnapshot}. */
  readonly persistentVolume: KubeObject;
  /** The claim, when the snapshot was taken through one. */
  readonly persistentVolumeClaim?: KubeObject;
}

const withLocation = async <T>(
  location: VolumeSnapshotLocation,
  run: (opened: SnapshotLocations) => Promise<T>,
): Promise<T> => {
  const problems: string[] = [];
  const [resolved] = checkSnapshotLocations([location], problems);
  if (!resolved) throw new ValidationError(problems, "location");
  const opened = await openSnapshotLocations([resolved]);
  try {
    return await run(opened);
  } finally {
    await opened.close();
  }
};

/**
 * Snapshots a PV now, through `location`, waiting until the snapshot is complete.
 *
 * @example
 * const snap = await snapshot({ cluster, location: { name: "default", provider: "aws", config: { region } },
 *   persistentVolumeClaim: { namespace: "shop", name: "data" } });
 * console.log(snap.record.status.providerSnapshotID);
 */
export const snapshot = async (options: SnapshotOptions): Promise<VolumeSnapshot> => {
  const { cluster } = options;
  if (Boolean(options.persistentVolume) === Boolean(options.persistentVolumeClaim)) {
    throw new ValidationError(
      ["exactly one of persistentVolume and persistentVolumeClaim is required"],
      "snapshot options",
    );
  }
  let claim: KubeObject | undefined;
  let pvName = options.persistentVolume ?? "";
  if (options.persistentVolumeClaim) {
    const { namespace, name } = options.persistentVolumeClaim;
    claim = await cluster.get("persistentvolumeclaims", name, {
      namespace,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    pvName = (claim.spec as { volumeName?: string } | undefined)?.volumeName ?? "";
    if (!pvName)
      throw new SnapshotError(
        `claim ${namespace}/${name} is not bound to a PV (no spec.volumeName): nothing to snapshot yet`,
      );
  }
  const pv = await cluster.get("persistentvolumes", pvName, options.signal ? { signal: options.signal } : {});
  return withLocation(options.location, async (opened) => {
    const errors: string[] = [];
    const found = findSnapshotter(opened, pv, errors);
    if (!found) {
      throw new SnapshotError(
        `PV ${pvName} is not a volume location "${options.location.name}" can snapshot${errors.length ? `: ${errors.join("; ")}` : " (its provider does not know this kind of volume)"}`,
      );
    }
    const { snapshotter } = found.opened;
    const volumeAZ = volumeZone(pv);
    const info = await snapshotter.getVolumeInfo(found.volumeId, volumeAZ);
    const record = newSnapshotRecord({
      backupName: "",
      backupUID: "",
      location: options.location.name,
      pvName,
      volumeId: found.volumeId,
      volumeType: info.type,
      volumeAZ,
      iops: info.iops,
    });
    const id = await snapshotter.createSnapshot(
      found.volumeId,
      volumeAZ,
      { ...options.tags, "velero.io/pv": pvName },
      options,
    );
    record.status = { providerSnapshotID: id, phase: "Completed" };
    return { record, persistentVolume: pv, ...(claim ? { persistentVolumeClaim: claim } : {}) };
  });
};

/** Options of {@link volumeFromSnapshot}. */
export interface VolumeFromSnapshotOptions extends OperationOptions {
  readonly cluster: Cluster;
  /** The location the snapshot is in. */
  readonly location: VolumeSnapshotLocation;
  /** What {@link snapshot} returned. */
  readonly snapshot: VolumeSnapshot;
  /** Name of the new PV. @default `<snapshotted PV>-<5 random hex characters>` */
  readonly persistentVolumeName?: string;
  /** Also create this claim, bound to the new PV (from the snapshotted claim when there was one). @default none */
  readonly persistentVolumeClaim?: ClaimRef;
}

const BINDING_ANNOTATIONS = ["pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller"];

/** A clean object to create from a live one: name, labels and annotations (binding ones dropped), spec. */
const template = (object: KubeObject, name: string, namespace?: string): KubeObject => {
  const annotations = { ...object.metadata?.annotations };
  for (const key of BINDING_ANNOTATIONS) delete annotations[key];
  return {
    apiVersion: "v1",
    kind: object.kind ?? "",
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      ...(object.metadata?.labels ? { labels: { ...object.metadata.labels } } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: structuredClone(object.spec ?? {}),
  };
};

/**
 * Creates a volume from a snapshot taken by {@link snapshot}, then a PV for it (a copy of the
 * snapshotted PV, pointing at the new volume), and, when `persistentVolumeClaim` is given, a claim
 * bound to that PV.
 */
export const volumeFromSnapshot = async (
  options: VolumeFromSnapshotOptions,
): Promise<{ volumeId: string; persistentVolume: KubeObject; persistentVolumeClaim?: KubeObject }> => {
  const { cluster, snapshot: taken } = options;
  const snapshotId = taken.record.status.providerSnapshotID;
  if (!snapshotId || taken.record.status.phase !== "Completed") {
    throw new ValidationError(
      [`the snapshot is not Completed (phase ${taken.record.status.phase ?? "none"})`],
      "snapshot",
    );
  }
  const sourceName = taken.persistentVolume.metadata?.name ?? "pv";
  const pvName =
    options.persistentVolumeName ?? `${sourceName}-${randomBytes(3).toString("hex").slice(0, 5)}`;
  return withLocation(options.location, async (opened) => {
    const { snapshotter } = opened.all[0]!;
    const { spec } = taken.record;
    const volumeId = await snapshotter.createVolumeFromSnapshot(
      snapshotId,
      spec.volumeType,
      spec.volumeAZ ?? "",
      spec.volumeIOPS,
      options,
    );
    let pv = snapshotter.setVolumeId(template(taken.persistentVolume, pvName), volumeId);
    const pvSpec = { ...(pv.spec as Record<string, unknown>) };
    delete pvSpec.claimRef;
    const claimRef = options.persistentVolumeClaim;
    if (claimRef)
      pvSpec.claimRef = {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        namespace: claimRef.namespace,
        name: claimRef.name,
      };
    pv = { ...pv, spec: pvSpec };
    // a create whose answer is lost is read back: the PV pointing at the volume just made is ours
    const { object: createdPv } = await createReconciled(cluster, "persistentvolumes", pv, {
      isOurs: (found) => snapshotter.getVolumeId(found) === volumeId,
    });
    if (!claimRef) return { volumeId, persistentVolume: createdPv };
    const source = taken.persistentVolumeClaim;
    const claimSpec: Record<string, unknown> = source
      ? { ...(source.spec as Record<string, unknown>) }
      : {
          accessModes: pvSpec.accessModes,
          resources: {
            requests: { storage: (pvSpec.capacity as { storage?: string } | undefined)?.storage },
          },
          storageClassName: pvSpec.storageClassName ?? "",
          ...(pvSpec.volumeMode ? { volumeMode: pvSpec.volumeMode } : {}),
        };
    claimSpec.volumeName = pvName;
    const claim = source
      ? { ...template(source, claimRef.name, claimRef.namespace), spec: claimSpec }
      : {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: claimRef.name, namespace: claimRef.namespace },
          spec: claimSpec,
        };
    const { object: createdClaim } = await createReconciled(cluster, "persistentvolumeclaims", claim, {
      namespace: claimRef.namespace,
      isOurs: (found) => (found.spec as { volumeName?: string } | undefined)?.volumeName === pvName,
    });
    return { volumeId, persistentVolume: createdPv, persistentVolumeClaim: createdClaim };
  });
};

/**
 * PersistentVolumes restored from native snapshots (Velero's `handlePVHasNativeSnapshot` and
 * `pvRestorer`): when the namespace of the PV's claim is mapped and a PV of the same name exists, the
 * PV is restored under a new name (`velero-clone-<uuid>`, annotation `velero.io/original-pv-name`);
 * otherwise a PV of that name that is still going away is waited out, and one that stays is not
 * recreated from the snapshot. Then — unless `restorePVs` is `false` — a volume is created from the
 * snapshot through the record's location and the PV is pointed at it (`setVolumeId`).
 */
import { randomUUID } from "node:crypto";
import type { Cluster } from "../kube/client.ts";
import type { KubeObject } from "../kube/types.ts";
import { messageOf } from "../snapshot/errors.ts";
import type { SnapshotLocations } from "../snapshot/locations.ts";
import { claimOf } from "../snapshot/pv.ts";
import { restoredVolumeInfo } from "../snapshot/records.ts";
import type { StoredVolumeRecords } from "../snapshot/stored.ts";
import type { NativeSnapshotRecord, RestoreVolumeInfo, SnapshotProgress } from "../snapshot/types.ts";
import { poll, pollDone, pollPending } from "../util/poll.ts";
import type { PvVolumeFacts } from "./pv.ts";

/** The outcome of preparing one PV that has a snapshot. */
export type SnapshotPvOutcome =
  | { readonly ok: true; readonly pv: KubeObject; readonly reason: string }
  | { readonly ok: false; readonly error: string };

/** The snapshot side of one restore. */
export interface RestoreVolumeSnapshots {
  /** What the backup recorded about PV `name`, for the decision table. */
  facts(name: string): PvVolumeFacts;
  /**
   * Prepares backed-up PV `original` (already reset by `preparePv` into `prepared`) for creation from its
   * snapshot: maybe renamed, maybe given a new volume. Never throws for a provider failure.
   */
  fromSnapshot(original: KubeObject, prepared: KubeObject): Promise<SnapshotPvOutcome>;
  /** The new name of a PV renamed by this restore (for its claim's `spec.volumeName`). */
  renamed(name: string): string | undefined;
  /** `<restore>-volumeinfo.json.gz` entries of the PVs created from snapshots. */
  volumeInfo(): RestoreVolumeInfo[];
}

export interface RestoreVolumeSnapshotsDeps {
  readonly cluster: Cluster;
  readonly records: StoredVolumeRecords;
  /** Opened locations; `undefined` when none were given (or `restorePVs` is false). */
  readonly locations: SnapshotLocations | undefined;
  readonly namespaceMapping: Readonly<Record<string, string>>;
  /** Only `false` leaves volumes alone (Velero's `restorePVs`). */
  readonly restorePVs: boolean | undefined;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
  /** How long a terminating PV, claim or namespace is waited for. */
  readonly terminatingTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly onProgress: (pvName: string, progress: SnapshotProgress) => void;
}

const ORIGINAL_NAME = "velero.io/original-pv-name";

export const createRestoreVolumeSnapshots = (deps: RestoreVolumeSnapshotsDeps): RestoreVolumeSnapshots => {
  const { cluster, records } = deps;
  const renamedPvs = new Map<string, string>();
  const restored: RestoreVolumeInfo[] = [];
  const snapshotOf = (name: string): NativeSnapshotRecord | undefined =>
    records.snapshots.find((s) => s.spec.persistentVolumeName === name);

  /** Velero's `shouldRestore`: true once no PV of that name exists; false if one stays (or the wait times out). */
  const pvIsGone = async (name: string): Promise<boolean> => {
    const outcome = await poll(
      `PV ${name} to go`,
      async () => {
        const live = await cluster.tryGet("persistentvolumes", name, { signal: deps.signal });
        if (!live) return pollDone(true);
        const claim = claimOf(live);
        const phase = (live.status as { phase?: string } | undefined)?.phase;
        let waiting = phase === "Released" || live.metadata?.deletionTimestamp !== undefined;
        if (!waiting && claim) {
          const pvc = await cluster.tryGet("persistentvolumeclaims", claim.name, {
            namespace: claim.namespace,
            signal: deps.signal,
          });
          const ns = await cluster.tryGet("namespaces", claim.namespace, { signal: deps.signal });
          waiting =
            !pvc ||
            pvc.metadata?.deletionTimestamp !== undefined ||
            !ns ||
            ns.metadata?.deletionTimestamp !== undefined ||
            (ns.status as { phase?: string } | undefined)?.phase === "Terminating";
        }
        return waiting ? pollPending("going away") : pollDone(false);
      },
      { intervalMs: 1000, timeoutMs: deps.terminatingTimeoutMs, signal: deps.signal },
    );
    return outcome.done && outcome.value;
  };

  const fromSnapshot = async (original: KubeObject, prepared: KubeObject): Promise<SnapshotPvOutcome> => {
    const oldName = original.metadata?.name ?? "";
    const claim = claimOf(original);
    const mapped = claim !== undefined && deps.namespaceMapping[claim.namespace] !== undefined;
    const rename =
      mapped && (await cluster.tryGet("persistentvolumes", oldName, { signal: deps.signal })) !== undefined;
    let pv = prepared;
    const reasons: string[] = [];
    const restoreVolume = rename || (await pvIsGone(oldName));
    const record = snapshotOf(oldName);
    if (!restoreVolume) {
      reasons.push("a PV of that name exists: not recreated from its snapshot");
    } else if (deps.restorePVs === false) {
      reasons.push("restorePVs is false: the volume is not created from its snapshot");
    } else if (!record?.status.providerSnapshotID) {
      return { ok: false, error: `the backup has no completed snapshot of PV ${oldName}` };
    } else {
      const location = record.spec.location;
      const opened = deps.locations?.get(location);
      if (!opened) {
        return {
          ok: false,
          error: `the snapshot of PV ${oldName} is in volume snapshot location "${location}", which this restore was not given: pass volumeSnapshotLocations with a location named "${location}"`,
        };
      }
      const snapshotId = record.status.providerSnapshotID;
      if (deps.dryRun) {
        reasons.push(`a volume would be created from snapshot ${snapshotId} (location "${location}")`);
      } else {
        try {
          const volumeId = await opened.snapshotter.createVolumeFromSnapshot(
            snapshotId,
            record.spec.volumeType,
            record.spec.volumeAZ ?? "",
            record.spec.volumeIOPS,
            {
              signal: deps.signal,
              timeoutMs: deps.timeoutMs,
              onProgress: (p) => deps.onProgress(oldName, p),
            },
          );
          pv = opened.snapshotter.setVolumeId(pv, volumeId);
          reasons.push(`volume ${volumeId} created from snapshot ${snapshotId}`);
        } catch (error) {
          if (deps.signal.aborted) throw error;
          return {
            ok: false,
            error: `error creating a volume from snapshot ${snapshotId} (location "${location}"): ${messageOf(error)}`,
          };
        }
      }
    }
    if (rename) {
      const newName = `velero-clone-${randomUUID()}`;
      renamedPvs.set(oldName, newName);
      pv = {
        ...pv,
        metadata: {
          ...pv.metadata,
          name: newName,
          annotations: { ...pv.metadata?.annotations, [ORIGINAL_NAME]: oldName },
        },
      };
      reasons.push(`renamed to ${newName}: the claim's namespace is mapped and PV ${oldName} exists`);
    }
    if (record && restoreVolume && deps.restorePVs !== false && !deps.dryRun)
      restored.push(restoredVolumeInfo(pv, record));
    return { ok: true, pv, reason: reasons.join("; ") };
  };

  return {
    facts: (name) => {
      const entry = records.volumeInfo?.find((v) => v.pvName === name);
      return {
        ...(entry ? { volumeInfo: { backupMethod: entry.backupMethod } } : {}),
        nativeSnapshot: snapshotOf(name) !== undefined,
      };
    },
    fromSnapshot,
    renamed: (name) => renamedPvs.get(name),
    volumeInfo: () => [...restored],
  };
};

/**
 * The block-store plugin kind (Velero's `VolumeSnapshotter` v1, called `BlockStore` in Ark): snapshots of
 * the disks behind PersistentVolumes, taken through a cloud API during a backup, and new disks made from
 * them during a restore. Providers register by `<domain>/<name>` ({@link registerVolumeSnapshotter}).
 */
import type { KubeObject } from "../kube/types.ts";

/** How a long-running provider call reports progress. */
export interface SnapshotProgress {
  /** What is being waited for, e.g. `snapshot snap-0abc of vol-0123`. */
  readonly subject: string;
  /** Provider state as it reported it (`pending`, `CREATING`, `InProgress`, `12/40 MiB copied`). */
  readonly state: string;
  /** Percent done when the provider says (`AWS` reports it, others do not). */
  readonly percent?: number | undefined;
  /** Milliseconds since the wait began. */
  readonly elapsedMs: number;
}

/**
 * Options of the calls that start long-running work (snapshot, disk creation, deletion). Providers wait
 * for the work to finish before they return, polling with these settings.
 */
export interface OperationOptions {
  /** Cancels the wait (the provider-side operation may still finish). @default never */
  readonly signal?: AbortSignal | undefined;
  /** Give up waiting after this long, with an error saying what was still pending. @default 600000 (10 min) */
  readonly timeoutMs?: number | undefined;
  /** Called on every poll while waiting. @default none */
  readonly onProgress?: ((progress: SnapshotProgress) => void) | undefined;
  /**
   * `createSnapshot` calls it with the snapshot's ID as soon as the ID is known — before the create
   * request when the provider chooses the ID itself (GCP, Azure, local), right after it otherwise (AWS)
   * — and waits for it before waiting for the snapshot: a backup records the ID there, so a crash while
   * the snapshot completes leaves it findable. When it rejects, `createSnapshot` rejects with that error
   * (the snapshot may exist: the caller has its ID). @default none
   */
  readonly onCreated?: ((snapshotId: string) => void | Promise<void>) | undefined;
}

/** What {@link VolumeSnapshotter.getVolumeInfo} returns: recorded in the snapshot, used to recreate the disk. */
export interface VolumeInfo {
  /** Provider disk type (`gp3`, a GCE disk-type URL, `Premium_LRS`, `directory`). */
  readonly type: string;
  /** Provisioned IOPS; `undefined` when the provider does not record any. */
  readonly iops?: number | undefined;
}

/**
 * A volume snapshotter: the seven calls of Velero's VolumeSnapshotter v1, asynchronous, plus the config
 * keys it declares. One instance serves one volume snapshot location (it is `init`ed once with its config).
 *
 * Velero's rules every implementation keeps: `getVolumeId` returns `""` for a PV that is not this
 * provider's (and throws only for one that is but is malformed); `deleteSnapshot` treats "not found" as
 * success; `createSnapshot` tags the snapshot with the tags it is given.
 */
export interface VolumeSnapshotter {
  /**
   * The config keys `init` accepts. Unknown keys are refused before `init` is called, with an error
   * listing these.
   */
  readonly validKeys: readonly string[];
  /**
   * Prepares the snapshotter for a location's config (already checked against {@link validKeys}):
   * parses values, builds clients, and checks that the credentials work. Throws a `ConfigError` saying
   * what to fix.
   */
  init(config: Readonly<Record<string, string>>): Promise<void>;
  /** Snapshots volume `volumeId` in zone `volumeAZ` (may be `""`); resolves to the snapshot ID once it is complete. */
  createSnapshot(
    volumeId: string,
    volumeAZ: string,
    tags: Readonly<Record<string, string>>,
    options?: OperationOptions,
  ): Promise<string>;
  /** Creates a new volume from a snapshot; resolves to the new volume's ID once it is usable. */
  createVolumeFromSnapshot(
    snapshotId: string,
    volumeType: string,
    volumeAZ: string,
    iops: number | undefined,
    options?: OperationOptions,
  ): Promise<string>;
  /** Type and IOPS of a volume, recorded so the restore recreates the same kind of disk. */
  getVolumeInfo(volumeId: string, volumeAZ: string): Promise<VolumeInfo>;
  /** The provider volume ID behind a PV, or `""` when this snapshotter does not handle the PV. */
  getVolumeId(pv: KubeObject): string;
  /** A copy of `pv` pointing at volume `volumeId` (the PV passed in is not changed). */
  setVolumeId(pv: KubeObject, volumeId: string): KubeObject;
  /** Deletes a snapshot; a snapshot that does not exist is not an error. */
  deleteSnapshot(snapshotId: string, options?: OperationOptions): Promise<void>;
  /**
   * The snapshots of volume `volumeId` carrying every tag of `tags`, with when each was started: how the
   * cleanup after a crashed backup finds a snapshot whose ID the provider returned but the run never
   * recorded (providers that name snapshots themselves report the ID before creating one and need not
   * implement it). Optional.
   */
  findSnapshots?(
    volumeId: string,
    tags: Readonly<Record<string, string>>,
  ): Promise<Array<{ readonly id: string; readonly started?: Date | undefined }>>;
  /** Releases the provider's clients once a run is done with the snapshotter (optional). */
  close?(): Promise<void>;
}

/** Makes a fresh, un-initialised snapshotter (async so a provider can load its SDK on first use). */
export type VolumeSnapshotterFactory = () => VolumeSnapshotter | Promise<VolumeSnapshotter>;

/**
 * Where volume snapshots are taken: Velero's VolumeSnapshotLocation (`metadata.name` + `spec.provider` +
 * `spec.config`) as plain data.
 *
 * @example
 * { name: "default", provider: "aws", config: { region: "eu-west-1" } }
 */
export interface VolumeSnapshotLocation {
  /**
   * The location's name: recorded in every snapshot record (`spec.location`) and in the backup's
   * `spec.volumeSnapshotLocations`; a restore or a deletion finds the location again by this name.
   */
  readonly name: string;
  /**
   * Provider: `aws`, `gcp`, `azure` (Velero's plugins, `velero.io/<name>`), `local`
   * (`stowage.dev/local`), or any registered `<domain>/<name>`.
   */
  readonly provider: string;
  /**
   * Provider settings as strings, with Velero's key names (aws: `region`, `profile`, `credentialsFile`,
   * `enableSharedConfig`, `ebsKmsKeyId`; gcp: `snapshotLocation`, `snapshotType`, `project`,
   * `volumeProject`, `credentialsFile`; azure: `resourceGroup`, `subscriptionId`, `apiTimeout`,
   * `incremental`, `tags`, `credentialsFile`; local: `path`, `volumesPath`).
   * @default {}
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** Lifecycle phase of a native snapshot record (`internal/volume/native_snapshot.go`). */
export type SnapshotPhase = "New" | "Completed" | "Failed";

/**
 * One entry of `<backup>-volumesnapshots.json.gz`: Velero's `volume.Snapshot`, fields in its order.
 * `volumeIOPS` is present whenever the provider reported IOPS (AWS always does, `0` for gp2/gp3).
 */
export interface NativeSnapshotRecord {
  spec: {
    backupName: string;
    backupUID: string;
    location: string;
    persistentVolumeName: string;
    providerVolumeID: string;
    volumeType: string;
    volumeAZ?: string;
    volumeIOPS?: number;
  };
  status: {
    providerSnapshotID?: string;
    phase?: SnapshotPhase;
  };
}

/** `nativeSnapshotInfo` of a volume-info entry (Velero's `NativeSnapshotInfo`; `Phase` has no JSON tag). */
export interface NativeSnapshotInfo {
  snapshotHandle: string;
  volumeType: string;
  volumeAZ: string;
  /** IOPS as a decimal string, `"0"` when none. */
  iops: string;
  Phase: SnapshotPhase | "";
}

/** One entry of `<backup>-volumeinfo.json.gz` (Velero's `BackupVolumeInfo`), the fields native snapshots use. */
export interface BackupVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  pvName?: string;
  backupMethod?: "NativeSnapshot" | "PodVolumeBackup" | "CSISnapshot";
  snapshotDataMoved: boolean;
  preserveLocalSnapshot: boolean;
  skipped: boolean;
  skippedReason?: string;
  result?: "succeeded" | "failed";
  nativeSnapshotInfo?: NativeSnapshotInfo;
  pvInfo?: { reclaimPolicy: string; labels: Record<string, string> | null };
  [field: string]: unknown;
}

/** One entry of `<restore>-volumeinfo.json.gz` (Velero's `RestoreVolumeInfo`) for a PV made from a snapshot. */
export interface RestoreVolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  pvName?: string;
  restoreMethod?: "NativeSnapshot" | "PodVolumeRestore" | "CSISnapshot";
  snapshotDataMoved: boolean;
  nativeSnapshotInfo?: NativeSnapshotInfo;
  [field: string]: unknown;
}

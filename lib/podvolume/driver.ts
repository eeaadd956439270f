/**
 * The seam between pod-volume orchestration (which volumes, which repository, the records) and the
 * place restic runs: a {@link PodVolumeDriver}. Two implementations: `localDriver` (restic as a local
 * process) and `jobDriver` (a Kubernetes Job on the pod's node).
 */
import type { RepositoryAddress } from "./backend.ts";
import type { RepositoryKey } from "./keys.ts";
import type { BackupSummary, RestoreSummary, VolumeProgress } from "./output.ts";

/** One namespace's repository with the key that opens it. */
export interface Repository {
  readonly address: RepositoryAddress;
  readonly key: RepositoryKey;
}

/** A pod volume on a node, as the kubelet lays it out: `<kubelet>/pods/<podUid>/volumes/<plugin>/<volumeDir>`. */
export interface VolumeLocation {
  /** The node the pod runs on (`spec.nodeName`). */
  readonly node: string;
  readonly podUid: string;
  /**
   * The volume's directory below the plugin directory: the pod volume's name, or the PV's name for a
   * PVC (`<pv>/mount` for CSI), as Velero's `GetVolumeDirectory` computes it.
   */
  readonly volumeDir: string;
}

/** What one volume backup did. */
export interface VolumeBackupOutcome {
  readonly snapshotId: string;
  /** The volume's directory on the node. */
  readonly path: string;
  readonly progress: VolumeProgress;
  /** Bytes new to the repository (`data_added`): Velero's `incrementalBytes`. */
  readonly incrementalBytes: number;
  readonly summary: BackupSummary;
  /** Files restic could not read (exit code 3: the snapshot exists but lacks them). */
  readonly warnings: readonly string[];
  readonly startTimestamp: Date;
  readonly completionTimestamp: Date;
}

/** What one volume restore did. */
export interface VolumeRestoreOutcome {
  readonly path: string;
  readonly progress: VolumeProgress;
  readonly summary: RestoreSummary;
  readonly startTimestamp: Date;
  readonly completionTimestamp: Date;
}

/** A request to back up one pod volume. */
export interface VolumeBackupRequest {
  readonly repository: Repository;
  readonly volume: VolumeLocation;
  /** Snapshot tags (Velero's PodVolumeBackup `spec.tags`). */
  readonly tags: Readonly<Record<string, string>>;
  /** `--host`. @default "velero" */
  readonly host?: string;
  readonly signal?: AbortSignal;
  /** Progress while restic runs (the Job driver reports only the final numbers). */
  readonly onProgress?: (progress: VolumeProgress) => void;
}

/** A request to restore one snapshot into a pod volume. */
export interface VolumeRestoreRequest {
  readonly repository: Repository;
  readonly volume: VolumeLocation;
  readonly snapshotId: string;
  /**
   * When set, `<volume>/.velero/` is emptied before the restore and the empty marker file
   * `<volume>/.velero/<marker>` written after it: what the `restore-wait` init container waits for.
   * @default no marker
   */
  readonly marker?: string;
  readonly signal?: AbortSignal;
}

/** Where and how restic runs for pod volumes. */
export interface PodVolumeDriver {
  /** `local` or `job`, for logs. */
  readonly name: string;
  /** The image restic runs from, for drivers that run containers (the default `restore-wait` image). */
  readonly image?: string;
  /**
   * Makes sure the repository exists and the key opens it: creates it when absent, fails with a
   * `ResticError` (`wrong-key`) when the key does not open it, and never overwrites anything.
   * `node` says where to run when the driver runs on nodes.
   */
  ensureRepository(
    repository: Repository,
    options?: { readonly node?: string; readonly signal?: AbortSignal },
  ): Promise<{ readonly created: boolean }>;
  backupVolume(request: VolumeBackupRequest): Promise<VolumeBackupOutcome>;
  restoreVolume(request: VolumeRestoreRequest): Promise<VolumeRestoreOutcome>;
}

import type { BackupItemAction } from "../actions/types.ts";
import type { BackupResourceHookSpec } from "../hooks/backup-spec.ts";
import type { RunHookContext, RunHooks } from "../hooks/run.ts";
import type { Cluster } from "../kube/client.ts";
import type { PodVolumeOptions } from "../podvolume/options.ts";
import type { VolumeSnapshotLocation } from "../snapshot/types.ts";
import type { ObjectStore } from "../store/object-store.ts";
import type { LabelSelector } from "../store/types.ts";
import type { RunOptions } from "../util/options.ts";
import type { BackupResult } from "./result.ts";

/** Progress of a running backup, for progress bars and logs. */
export interface BackupProgress {
  readonly phase: "collecting" | "uploading" | "done";
  /** Items written to the archive so far. */
  readonly itemsBackedUp: number;
  /** Items found so far (grows while LISTs page through the cluster). */
  readonly totalItems: number;
  /** Resources whose LIST has finished, of those to list. */
  readonly resourcesDone: number;
  readonly resourcesTotal: number;
  /** The volume snapshot being waited for, while one is (its provider's state and percent done). */
  readonly volumeSnapshot?: {
    readonly persistentVolume: string;
    readonly state: string;
    readonly percent?: number | undefined;
  };
}

/**
 * Hooks of a backup (`hooks` of {@link BackupOptions}). Besides `resources`, the run-level
 * {@link RunHooks}: `before({ cluster, name, options, signal })` runs once every option, the name and the
 * snapshot locations were checked, just before the backup claims its name (throw to stop it: nothing is
 * written); `after({ …, result } | { …, error })` runs whatever the outcome once `before` succeeded,
 * after the backup was recorded (or removed). What they did is in `result.runHooks`; `before` is also in
 * the backup's log.
 */
export interface BackupHooks extends RunHooks<RunHookContext<BackupOptions>, BackupResult> {
  /**
   * Velero's `BackupSpec.hooks.resources`: exec hooks (or functions) run in the selected pods before and
   * after each is backed up. A pod's own hook annotations (`pre.hook.backup.velero.io/command`, …) win
   * over these. Recorded in the spec (function hooks cannot be).
   * @default []
   */
  readonly resources?: readonly BackupResourceHookSpec[];
}

/**
 * Options of {@link backup}. Filter names are Velero's BackupSpec fields, with Velero's semantics.
 * `signal` cancels the backup (the partial backup is removed from the store); `now` is its clock.
 */
export interface BackupOptions extends RunOptions {
  /** The cluster to back up, from `connect()`. */
  readonly cluster: Cluster;
  /** Where the backup is written, e.g. `fsStore("./backups")` or `s3Store({...})`. */
  readonly store: ObjectStore;
  /** Backup name: a DNS-1123 subdomain; must not exist in the store yet. */
  readonly name: string;
  /** Namespace globs to include (`*`, `shop-*`). @default ["*"] */
  readonly includedNamespaces?: readonly string[];
  /** Namespace globs to exclude. @default [] */
  readonly excludedNamespaces?: readonly string[];
  /** Resources to include, any name form (`deploy`, `deployments.apps`); "old" filter. @default ["*"] */
  readonly includedResources?: readonly string[];
  /** Resources to exclude; "old" filter. @default [] */
  readonly excludedResources?: readonly string[];
  /**
   * Old filter tri-state: `true` all cluster-scoped resources, `false` none (not even PVs of PVCs),
   * unset: only when every namespace is included, else only those reached through item actions.
   * @default undefined
   */
  readonly includeClusterResources?: boolean;
  /** "New" filter: cluster-scoped resources to include. Not to be mixed with the old filters. */
  readonly includedClusterScopedResources?: readonly string[];
  /** "New" filter: cluster-scoped resources to exclude. */
  readonly excludedClusterScopedResources?: readonly string[];
  /** "New" filter: namespace-scoped resources to include. */
  readonly includedNamespaceScopedResources?: readonly string[];
  /** "New" filter: namespace-scoped resources to exclude. */
  readonly excludedNamespaceScopedResources?: readonly string[];
  /** Only items matching this selector (`app=shop,tier!=cache` or a LabelSelector object). @default everything */
  readonly labelSelector?: string | LabelSelector;
  /** Items matching any of these selectors; mutually exclusive with `labelSelector`. */
  readonly orLabelSelectors?: readonly (string | LabelSelector)[];
  /** How long the backup is kept before garbage collection (Go duration). @default "720h" */
  readonly ttl?: string;
  /** `{ "pods": "ns/a,ns/b" }`: these items first, in this order (Velero's orderedResources). */
  readonly orderedResources?: Readonly<Record<string, string>>;
  /** Labels of the backup itself (written to velero-backup.json; `velero.io/schedule-name` for schedules). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations of the backup itself. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Your backup item actions, run after the built-in ones. @default [] */
  readonly actions?: readonly BackupItemAction[];
  /**
   * Run the built-in actions (pod → PVCs and PriorityClass, PVC → PV, ServiceAccount → ClusterRoleBindings).
   * @default true
   */
  readonly builtinActions?: boolean;
  /**
   * Run the actions registered process-wide with `registerBackupItemAction()` (what runner scripts register),
   * after the built-ins and before `actions`.
   * @default true
   */
  readonly registeredActions?: boolean;
  /** Name of the backup location recorded in the metadata (label `velero.io/storage-location`). @default "default" */
  readonly storageLocation?: string;
  /**
   * Velero's `snapshotVolumes`: `false` takes no volume snapshots; unset or `true` snapshots every
   * backed-up PV that one of `volumeSnapshotLocations` handles. Recorded in the spec.
   * @default undefined (snapshot when locations are given)
   */
  readonly snapshotVolumes?: boolean;
  /**
   * Where PV snapshots are taken: Velero's VolumeSnapshotLocations as data, at most one per provider,
   * e.g. `[{ name: "default", provider: "aws", config: { region: "eu-west-1" } }]`. Their config and
   * credentials are checked before the backup starts (unless `snapshotVolumes` is false); their names
   * are recorded in the spec.
   * @default [] (no snapshots)
   */
  readonly volumeSnapshotLocations?: readonly VolumeSnapshotLocation[];
  /** How long to wait for one volume snapshot to complete before it counts as failed. @default 600000 (10 min) */
  readonly snapshotTimeoutMs?: number;
  /**
   * Velero's opt-out mode of file-system backup: every pod volume is backed up with restic except those
   * in `backup.velero.io/backup-volumes-excludes`; otherwise only volumes named in
   * `backup.velero.io/backup-volumes` (or `stowage.dev/backup-volumes`). Recorded in the spec.
   * @default false
   */
  readonly defaultVolumesToFsBackup?: boolean;
  /**
   * File-system backup of pod volumes with restic: the driver (`jobDriver({ cluster })` runs a Job on each
   * pod's node) and the location's restic backend. Without it, volumes selected for file-system backup
   * are not backed up and a warning names them.
   * @default undefined
   */
  readonly podVolumes?: PodVolumeOptions;
  /** Concurrent resource LISTs (HTTP concurrency is the connection's limiter). @default 8 */
  readonly listConcurrency?: number;
  /** LIST page size. @default 500 */
  readonly pageSize?: number;
  /** Called as the backup progresses (throttled to about 10 per second). */
  readonly onProgress?: (progress: BackupProgress) => void;
  /**
   * How often the run refreshes `heartbeatTimestamp` in its progress record
   * (`<name>-stowage-progress.json`), which says to GC that it is still alive (see `abandonedAfterMs`).
   * @default 300000 (5 min)
   */
  readonly heartbeatMs?: number;
  /**
   * Hooks (see {@link BackupHooks}): exec hooks run around the backup of pods (`resources`), and your
   * code around the whole backup (`before`, `after`, see {@link RunHooks}).
   * @default {}
   */
  readonly hooks?: BackupHooks;
}

import type { RestoreItemAction } from "../actions/types.ts";
import type { ArchiveReaderOptions } from "../format/limits.ts";
import type { RestoreHooks } from "../hooks/restore-spec.ts";
import type { RunHookContext, RunHooks, VerifyRestore } from "../hooks/run.ts";
import type { Cluster } from "../kube/client.ts";
import type { PodVolumeOptions } from "../podvolume/options.ts";
import type { VolumeSnapshotLocation } from "../snapshot/types.ts";
import type { ObjectStore } from "../store/object-store.ts";
import type { LabelSelector } from "../store/types.ts";
import type { RunOptions } from "../util/options.ts";
import type { RestorePriorities } from "./ordering.ts";
import type { RestoreResult } from "./result.ts";

/** Progress of a running restore. */
export interface RestoreProgress {
  readonly itemsRestored: number;
  readonly totalItems: number;
  /** The group-resource being restored now. */
  readonly resource: string;
  /** The volume being created from a snapshot, while one is (its provider's state and percent done). */
  readonly volumeSnapshot?: {
    readonly persistentVolume: string;
    readonly state: string;
    readonly percent?: number | undefined;
  };
}

/**
 * Options of {@link restore}; filter and policy names are Velero's RestoreSpec fields. `signal` cancels
 * the restore; `now` is its clock.
 */
export interface RestoreOptions extends RunOptions {
  /** The cluster to restore into, from `connect()`. */
  readonly cluster: Cluster;
  /** The store holding the backup (ours or one Velero wrote). */
  readonly store: ObjectStore;
  /** Restore name. @default `<backup>-<yyyyMMddHHmmss>` (UTC) */
  readonly name?: string;
  /** The backup to restore; exactly one of `backupName` and `scheduleName`. */
  readonly backupName?: string;
  /** Restore the newest Completed backup labelled `velero.io/schedule-name=<scheduleName>`. */
  readonly scheduleName?: string;
  /** Namespace globs, matched on the backup's original namespaces. @default ["*"] */
  readonly includedNamespaces?: readonly string[];
  /** Namespace globs to leave out. @default [] */
  readonly excludedNamespaces?: readonly string[];
  /** Resources to restore, any name form. @default ["*"] */
  readonly includedResources?: readonly string[];
  /** Resources to leave out (never-restored ones are always left out). @default [] */
  readonly excludedResources?: readonly string[];
  /** `true` all cluster-scoped items, `false` none, unset: only when every namespace is restored. */
  readonly includeClusterResources?: boolean;
  /** Only items whose backed-up labels match. */
  readonly labelSelector?: string | LabelSelector;
  /** Items matching any of these; exclusive with `labelSelector`. */
  readonly orLabelSelectors?: readonly (string | LabelSelector)[];
  /** `{ old: new }`: restore namespace `old` as `new` (also PV claimRefs and (Cluster)RoleBinding subjects). */
  readonly namespaceMapping?: Readonly<Record<string, string>>;
  /**
   * Only `false` disables restoring volumes from snapshots: PVs with a snapshot are then restored as
   * they were backed up, pointing at their old volume.
   * @default undefined (volumes are created from snapshots)
   */
  readonly restorePVs?: boolean;
  /**
   * The volume snapshot locations the backup's snapshots are in, found by name (each snapshot record's
   * `spec.location`). Checked (config, credentials) before the restore starts. A PV whose snapshot is in
   * a location not given fails with an error saying which.
   * @default [] (PVs with snapshots fail unless restorePVs is false)
   */
  readonly volumeSnapshotLocations?: readonly VolumeSnapshotLocation[];
  /** How long to wait for one volume to be created from its snapshot. @default 600000 (10 min) */
  readonly snapshotTimeoutMs?: number;
  /**
   * File-system restore of pod volumes backed up with restic: restored pods get Velero's `restore-wait`
   * init container, and once each is scheduled the driver restores its volumes on its node. Without it,
   * such volumes are not restored and a warning names them.
   * @default undefined
   */
  readonly podVolumes?: PodVolumeOptions;
  /** Keep Services' node ports. @default false */
  readonly preserveNodePorts?: boolean;
  /** What to do with objects that exist and differ: `none` warns, `update` merge-patches. @default "none" */
  readonly existingResourcePolicy?: "none" | "update";
  /** Resources whose `status` is written back after create. @default none */
  readonly restoreStatus?: {
    readonly includedResources?: readonly string[];
    readonly excludedResources?: readonly string[];
  };
  /** Your restore item actions, run after the built-in ones. @default [] */
  readonly actions?: readonly RestoreItemAction[];
  /** Run Velero's built-in restore actions (pods, services, jobs, PVCs, …). @default true */
  readonly builtinActions?: boolean;
  /**
   * Run the actions registered process-wide with `registerRestoreItemAction()` (what runner scripts register),
   * after the built-ins and before `actions`.
   * @default true
   */
  readonly registeredActions?: boolean;
  /** Namespace holding plugin ConfigMaps (change-storage-class, …). @default undefined (none read) */
  readonly pluginConfigNamespace?: string;
  /** Restore order override for this restore only. @default Velero's priorities */
  readonly priorities?: RestorePriorities;
  /**
   * Plan only: every object is validated with a server-side dry run and nothing is written, neither to
   * the cluster nor to the store.
   * @default false
   */
  readonly dryRun?: boolean;
  /** Objects created at once within one priority group. @default 16 */
  readonly concurrency?: number;
  /** How long to wait for a restored CRD to be Established. @default 60000 */
  readonly crdTimeoutMs?: number;
  /**
   * Bounds on reading the backup's archive: a hostile or damaged archive that passes one is refused
   * before anything is restored. Raise `maxTotalBytes` or `maxEntries` for a backup that is legitimately
   * larger; `tempDir` moves the private extraction directory.
   * @default the reader's defaults: 1,000,000 entries, 64 MiB per entry, 1 MiB per long header, 4 GiB
   * inflated in all, a compression ratio of 500, under `os.tmpdir()`
   */
  readonly archiveLimits?: Omit<ArchiveReaderOptions, "signal">;
  /** Called as items are restored, and while a volume is created from a snapshot (`volumeSnapshot`). */
  readonly onProgress?: (progress: RestoreProgress) => void;
  /**
   * Your code around the whole restore (see {@link RunHooks}): `before({ cluster, name, backupName,
   * options, signal })` runs once the options, the backup and the name were checked, just before the
   * restore claims its name (throw to stop it: nothing is written); `after({ …, result } | { …, error })`
   * runs whatever the outcome once `before` succeeded, after the restore was recorded, and after
   * `verify`. Neither runs in a dry run. What they did is in `result.runHooks`.
   *
   * `resources` are Velero's restore hooks (`RestoreSpec.hooks`, see {@link RestoreHooks}): entries add
   * init containers to restored pods and run exec hooks (a command, or a function) in them once they are
   * up. Pods' own `init.hook.restore.velero.io/*` and `post.hook.restore.velero.io/*` annotations work
   * without them. The restore returns once every exec hook has run, failed or given up waiting.
   * @default none (annotation hooks only)
   */
  readonly hooks?: RunHooks<RunHookContext<RestoreOptions> & { readonly backupName: string }, RestoreResult> &
    RestoreHooks;
  /**
   * Checks what was restored (Velero issue #1688): `verify({ cluster, result, signal })` runs once every
   * item and volume is restored, before the restore is recorded. Return nothing when all is well, or
   * the problems found; each problem (or what it throws) is an error of the restore (scope velero, in
   * its log and results), which then ends PartiallyFailed. Never thrown: `result.verify` says how it
   * went. Not run in a dry run; an abort while it runs aborts the restore.
   * @default none
   */
  readonly verify?: VerifyRestore<RestoreResult>;
}

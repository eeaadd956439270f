/**
 * `restore()`'s options, normalised in one place: the input is copied, every default applied and every
 * option checked before the restore reads the backup, so one ValidationError lists every problem; what
 * comes out is what the run reads (and the spec it records), never the raw options again.
 */

import type { RestoreItemAction } from "../actions/types.ts";
import { ValidationError } from "../errors.ts";
import { checkRestoreFilters, type ResolvedFilters } from "../filters/index.ts";
import { type ArchiveReaderOptions, resolveReaderOptions } from "../format/limits.ts";
import { type ResolvedRestoreHooks, resolveRestoreHooks } from "../hooks/restore-spec.ts";
import type { Cluster } from "../kube/client.ts";
import type { Discovery } from "../kube/discovery.ts";
import type { PodVolumeOptions } from "../podvolume/options.ts";
import { checkSnapshotLocations, type ResolvedSnapshotLocation } from "../snapshot/locations.ts";
import { namespaceNameProblem, objectNameProblem } from "../store/names.ts";
import type { ObjectStore } from "../store/object-store.ts";
import {
  checkNonNegative,
  checkPositive,
  type ResolvedRunOptions,
  resolveRunOptions,
  throwIfProblems,
} from "../util/options.ts";
import type { RestoreOptions, RestoreProgress } from "./options.ts";
import type { RestorePriorities } from "./ordering.ts";

/** Default of {@link RestoreOptions.snapshotTimeoutMs}: 10 minutes. */
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 600_000;

/** How long a terminating namespace or PV in the way of the restore is waited for: 10 minutes. */
export const TERMINATING_TIMEOUT_MS = 10 * 60_000;

/** The spec a Restore records, Velero's fields in Velero's order, without `backupName` (known later). */
export type RestoreSpecFields = Record<string, unknown>;

/** {@link RestoreOptions} validated, with every default applied: what `restore()` runs from. */
export interface ResolvedRestoreOptions extends ResolvedRunOptions {
  readonly cluster: Cluster;
  readonly store: ObjectStore;
  /** The restore's name when given; else derived from the backup's name and the start time. */
  readonly name: string | undefined;
  /** The backup to restore, or the schedule whose newest Completed backup is restored (exactly one). */
  readonly source: { readonly backupName: string } | { readonly scheduleName: string };
  readonly filters: ResolvedFilters;
  /** `{ old: new }` namespace renames. @default {} */
  readonly namespaceMapping: Readonly<Record<string, string>>;
  /** @default "none" */
  readonly policy: "none" | "update";
  /** @default false */
  readonly dryRun: boolean;
  /** Only `false` leaves volumes with snapshots as they were backed up. */
  readonly restorePVs: boolean | undefined;
  /** The checked snapshot locations; `[]` when none were given. */
  readonly snapshotLocations: readonly ResolvedSnapshotLocation[];
  /** Whether the snapshot locations are opened: some are given and `restorePVs` is not false. */
  readonly opensSnapshotLocations: boolean;
  /** @default 600000 */
  readonly snapshotTimeoutMs: number;
  /** Still to be resolved against the store (its restic backend); undefined without file-system restore. */
  readonly podVolumes: PodVolumeOptions | undefined;
  /** Whether the `status` of items of a group-resource is written back after create. @default never */
  restoresStatus(groupResource: string): boolean;
  /** Which actions run: built-ins (@default true), registered ones (@default true), then the user's. */
  readonly actions: {
    readonly builtin: boolean;
    readonly registered: boolean;
    readonly own: readonly RestoreItemAction[];
    /** For the built-in actions that read plugin ConfigMaps. @default undefined (none read) */
    readonly pluginConfigNamespace: string | undefined;
  };
  readonly priorities: RestorePriorities | undefined;
  /** @default 16 */
  readonly concurrency: number;
  /** @default 60000 */
  readonly crdTimeoutMs: number;
  /** The archive reader's bounds, checked. @default the reader's */
  readonly archiveLimits: Omit<ArchiveReaderOptions, "signal">;
  /** The checked restore hooks (`hooks.resources`). @default none */
  readonly hooks: ResolvedRestoreHooks;
  /** The recorded RestoreSpec's fields after `backupName`. */
  readonly spec: RestoreSpecFields;
  readonly onProgress: ((progress: RestoreProgress) => void) | undefined;
}

/**
 * Normalises `restore()`'s options against the cluster's discovery: copies them, applies the defaults,
 * checks every option and builds the spec to record. Reads nothing and writes nothing.
 *
 * @throws ValidationError listing every problem (source, policy, names, namespace mapping keys and
 *   values (namespace names), filters, locations, numbers: `crdTimeoutMs` a finite number ≥ 0)
 */
export const resolveRestoreOptions = (
  input: RestoreOptions,
  discovery: Discovery,
): ResolvedRestoreOptions => {
  const options: RestoreOptions = { ...input };
  const problems: string[] = [];
  if (Boolean(options.backupName) === Boolean(options.scheduleName)) {
    problems.push(
      `exactly one of backupName and scheduleName is required, received ${options.backupName ? "both" : "neither"}`,
    );
  }
  const policy = options.existingResourcePolicy ?? "none";
  if (policy !== "none" && policy !== "update") {
    problems.push(`existingResourcePolicy must be "none" or "update", received ${JSON.stringify(policy)}`);
  }
  if (options.name !== undefined) {
    const problem = objectNameProblem(options.name);
    if (problem) problems.push(`name: ${problem}`);
  }
  const namespaceMapping = { ...options.namespaceMapping };
  for (const [from, to] of Object.entries(namespaceMapping)) {
    const fromProblem = namespaceNameProblem(from);
    if (fromProblem) problems.push(`namespaceMapping ${from}:${to}: the backed-up namespace ${fromProblem}`);
    const toProblem = namespaceNameProblem(to);
    if (toProblem) problems.push(`namespaceMapping ${from}:${to}: the target namespace ${toProblem}`);
  }
  const checked = checkRestoreFilters(discovery, options);
  problems.push(...checked.problems);
  const snapshotLocations = checkSnapshotLocations(options.volumeSnapshotLocations, problems);
  const snapshotTimeoutMs = checkPositive(
    problems,
    "snapshotTimeoutMs",
    options.snapshotTimeoutMs,
    DEFAULT_SNAPSHOT_TIMEOUT_MS,
  );
  const concurrency = checkPositive(problems, "concurrency", options.concurrency, 16, { integer: true });
  const crdTimeoutMs = checkNonNegative(problems, "crdTimeoutMs", options.crdTimeoutMs, 60_000);
  const hooks = resolveRestoreHooks(options.hooks, discovery, problems);
  const archiveLimits = { ...options.archiveLimits };
  try {
    resolveReaderOptions(archiveLimits);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(...error.problems.map((problem) => `archiveLimits.${problem}`));
  }
  throwIfProblems(problems, "restore options");

  const filters = checked.value;
  const groupResources = (names: readonly string[] | undefined) =>
    new Set((names ?? []).map((n) => discovery.find(n)?.groupResource ?? n));
  const statusIncluded = groupResources(options.restoreStatus?.includedResources);
  const statusExcluded = groupResources(options.restoreStatus?.excludedResources);
  return {
    ...resolveRunOptions(options),
    cluster: options.cluster,
    store: options.store,
    name: options.name,
    source: options.backupName
      ? { backupName: options.backupName }
      : { scheduleName: options.scheduleName as string },
    filters,
    namespaceMapping,
    policy,
    dryRun: options.dryRun === true,
    restorePVs: options.restorePVs,
    snapshotLocations,
    opensSnapshotLocations: snapshotLocations.length > 0 && options.restorePVs !== false,
    snapshotTimeoutMs,
    podVolumes: options.podVolumes,
    restoresStatus: (gr) => (statusIncluded.has("*") || statusIncluded.has(gr)) && !statusExcluded.has(gr),
    actions: {
      builtin: options.builtinActions !== false,
      registered: options.registeredActions !== false,
      own: [...(options.actions ?? [])],
      pluginConfigNamespace: options.pluginConfigNamespace || undefined,
    },
    priorities: options.priorities,
    concurrency,
    crdTimeoutMs,
    archiveLimits,
    hooks,
    spec: {
      ...(options.scheduleName ? { scheduleName: options.scheduleName } : {}),
      includedNamespaces: options.includedNamespaces?.length ? [...options.includedNamespaces] : ["*"],
      ...(options.excludedNamespaces?.length ? { excludedNamespaces: [...options.excludedNamespaces] } : {}),
      ...(options.includedResources?.length ? { includedResources: [...options.includedResources] } : {}),
      ...(options.excludedResources?.length ? { excludedResources: [...options.excludedResources] } : {}),
      ...(options.includeClusterResources === undefined
        ? {}
        : { includeClusterResources: options.includeClusterResources }),
      ...(filters.labels.spec.labelSelector ? { labelSelector: filters.labels.spec.labelSelector } : {}),
      ...(filters.labels.spec.orLabelSelectors
        ? { orLabelSelectors: filters.labels.spec.orLabelSelectors }
        : {}),
      ...(Object.keys(namespaceMapping).length ? { namespaceMapping } : {}),
      ...(options.restorePVs === undefined ? {} : { restorePVs: options.restorePVs }),
      ...(options.preserveNodePorts === undefined ? {} : { preserveNodePorts: options.preserveNodePorts }),
      ...(hooks.spec ? { hooks: hooks.spec } : {}),
      ...(options.existingResourcePolicy ? { existingResourcePolicy: options.existingResourcePolicy } : {}),
    },
    onProgress: options.onProgress,
  };
};

/**
 * `backup()`'s options, normalised in one place: the input is copied, every default applied and every
 * option checked before the backup touches the store, so one ValidationError lists every problem; what
 * comes out is what the run reads (and the spec it records), never the raw options again.
 */

import type { BackupItemAction } from "../actions/types.ts";
import type { ValidationError } from "../errors.ts";
import { labelsProblems, type ResolvedFilters } from "../filters/index.ts";
import { checkBackupHooks, type ResolvedBackupHooks } from "../hooks/backup-spec.ts";
import type { Cluster } from "../kube/client.ts";
import type { Discovery } from "../kube/discovery.ts";
import type { PodVolumeOptions } from "../podvolume/options.ts";
import { checkSnapshotLocations, type ResolvedSnapshotLocation } from "../snapshot/locations.ts";
import { objectNameProblem } from "../store/names.ts";
import type { ObjectStore } from "../store/object-store.ts";
import { parseDuration } from "../util/duration.ts";
import {
  checkPositive,
  type ResolvedRunOptions,
  resolveRunOptions,
  throwIfProblems,
} from "../util/options.ts";
import { type RecordedBackup, recordedSpec } from "./metadata.ts";
import type { BackupOptions, BackupProgress } from "./options.ts";
import { checkFilters, specFilterFields } from "./plan-builder.ts";
import { HEARTBEAT_MS } from "./run-progress.ts";

/** Default of {@link BackupOptions.ttl}: Velero's 30 days. */
export const DEFAULT_TTL = "720h";

/** Default of {@link BackupOptions.snapshotTimeoutMs}: 10 minutes. */
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 600_000;

/** {@link BackupOptions} validated, with every default applied: what `backup()` runs from. */
export interface ResolvedBackupOptions extends ResolvedRunOptions, RecordedBackup {
  readonly cluster: Cluster;
  readonly store: ObjectStore;
  /** A copy of the options as given, for the collection plan (which reads the filters as named). */
  readonly options: BackupOptions;
  readonly discovery: Discovery;
  readonly filters: ResolvedFilters;
  /** @default "default" */
  readonly storageLocation: string;
  /** The checked snapshot locations; `[]` when none were given. */
  readonly snapshotLocations: readonly ResolvedSnapshotLocation[];
  /** Whether the snapshot locations are opened: some are given and `snapshotVolumes` is not false. */
  readonly takesSnapshots: boolean;
  readonly snapshotVolumes: boolean | undefined;
  /** @default 600000 */
  readonly snapshotTimeoutMs: number;
  /** @default false */
  readonly defaultVolumesToFsBackup: boolean;
  /** Still to be resolved against the store (its restic backend); undefined without file-system backup. */
  readonly podVolumes: PodVolumeOptions | undefined;
  /** Which actions run: built-ins (@default true), registered ones (@default true), then the user's. */
  readonly actions: {
    readonly builtin: boolean;
    readonly registered: boolean;
    readonly own: readonly BackupItemAction[];
  };
  /** @default 8 */
  readonly listConcurrency: number;
  /** @default 500 */
  readonly pageSize: number;
  /** @default {} */
  readonly orderedResources: Readonly<Record<string, string>>;
  readonly onProgress: ((progress: BackupProgress) => void) | undefined;
  /** @default 300000 */
  readonly heartbeatMs: number;
  /** The checked `hooks.resources`; none when none were given. */
  readonly resourceHooks: ResolvedBackupHooks;
  /** Warnings found while resolving (e.g. a hook spec naming a resource the cluster does not serve). */
  readonly hookWarnings: readonly string[];
}

/**
 * Normalises `backup()`'s options against the cluster's discovery: copies them, applies the defaults,
 * checks every option and builds the spec to record. Reads nothing and writes nothing.
 *
 * @throws ValidationError listing every problem (name, ttl, labels (Kubernetes label syntax), filters,
 *   snapshot locations, numbers)
 */
export const resolveBackupOptions = (input: BackupOptions, discovery: Discovery): ResolvedBackupOptions => {
  const options: BackupOptions = { ...input };
  const problems: string[] = [];
  const nameProblem = objectNameProblem(options.name);
  if (nameProblem) problems.push(`name: ${nameProblem}`);
  let ttlMs = 0;
  try {
    ttlMs = parseDuration(options.ttl ?? DEFAULT_TTL, "ttl");
  } catch (error) {
    problems.push(...(error as ValidationError).problems);
  }
  problems.push(...labelsProblems(options.labels, "labels"));
  const filters = checkFilters(discovery, options, problems);
  const snapshotLocations = checkSnapshotLocations(options.volumeSnapshotLocations, problems, {
    onePerProvider: true,
  });
  const snapshotTimeoutMs = checkPositive(
    problems,
    "snapshotTimeoutMs",
    options.snapshotTimeoutMs,
    DEFAULT_SNAPSHOT_TIMEOUT_MS,
  );
  const listConcurrency = checkPositive(problems, "listConcurrency", options.listConcurrency, 8, {
    integer: true,
  });
  const pageSize = checkPositive(problems, "pageSize", options.pageSize, 500, { integer: true });
  const heartbeatMs = checkPositive(problems, "heartbeatMs", options.heartbeatMs, HEARTBEAT_MS);
  const hooks = checkBackupHooks(discovery, options.hooks?.resources);
  problems.push(...hooks.problems);
  throwIfProblems(problems, `backup "${String(options.name)}" options`);

  const storageLocation = options.storageLocation ?? "default";
  const orderedResources = { ...options.orderedResources };
  const spec = recordedSpec(
    {
      ...specFilterFields(options, filters),
      storageLocation: options.storageLocation,
      volumeSnapshotLocations: snapshotLocations.map((location) => location.name),
      snapshotVolumes: options.snapshotVolumes,
      defaultVolumesToFsBackup: options.defaultVolumesToFsBackup,
      orderedResources: Object.keys(orderedResources).length ? orderedResources : undefined,
      hooks: hooks.value.recorded.length ? { resources: hooks.value.recorded } : undefined,
    },
    ttlMs,
  );
  return {
    ...resolveRunOptions(options),
    cluster: options.cluster,
    store: options.store,
    name: options.name,
    options,
    discovery,
    filters,
    ttlMs,
    labels: { ...options.labels, "velero.io/storage-location": storageLocation },
    annotations: { ...options.annotations },
    spec,
    storageLocation,
    snapshotLocations,
    takesSnapshots: snapshotLocations.length > 0 && options.snapshotVolumes !== false,
    snapshotVolumes: options.snapshotVolumes,
    snapshotTimeoutMs,
    defaultVolumesToFsBackup: options.defaultVolumesToFsBackup === true,
    podVolumes: options.podVolumes,
    actions: {
      builtin: options.builtinActions !== false,
      registered: options.registeredActions !== false,
      own: [...(options.actions ?? [])],
    },
    listConcurrency,
    pageSize,
    orderedResources,
    onProgress: options.onProgress,
    heartbeatMs,
    resourceHooks: hooks.value,
    hookWarnings: hooks.warnings,
  };
};

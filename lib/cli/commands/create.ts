/**
 * What `backup create` and `restore create` share: the flags both take (velero's filters, `-l` /
 * `--or-selector`, `--storage-location`, `--wait`, the pod volume flags) with their reading into SDK
 * options, and the run around the SDK call: the store, the cluster connection, a progress line on a
 * terminal, and Ctrl-C aborting the call (which cleans up after itself).
 */
import type { Cluster } from "../../kube/client.ts";
import type { PodVolumeOptions } from "../../podvolume/options.ts";
import type { VolumeSnapshotLocation } from "../../snapshot/types.ts";
import type { ObjectStore } from "../../store/index.ts";
import type { CommandContext } from "../command.ts";
import { EXIT } from "../errors.ts";
import { compact, type Flags, parseOrSelectors } from "../flags.ts";
import type { ProgressLine } from "../progress.ts";
import type { OpenedStore } from "../settings.ts";
import type { FlagSpec, Io } from "../types.ts";
import { podVolumesFromFlags } from "./pod-volumes.ts";
import { interruptSignal, listFlag, selectorFlag } from "./shared.ts";

/** How the filter flags speak of what they select: `to include` / `to exclude`, `to restore` / `not to restore`. */
export interface FilterWords {
  readonly included: string;
  readonly excluded: string;
}

/** `--include-namespaces`, `--exclude-namespaces`, `--include-resources`, `--exclude-resources`. */
export const filterFlags = ({ included, excluded }: FilterWords): FlagSpec[] => [
  listFlag("include-namespaces", `namespaces ${included}, globs allowed (default *)`, "NAMESPACES"),
  listFlag("exclude-namespaces", `namespaces ${excluded}, globs allowed`, "NAMESPACES"),
  listFlag(
    "include-resources",
    `resources ${included}, e.g. deployments,configmaps (default *)`,
    "RESOURCES",
  ),
  listFlag("exclude-resources", `resources ${excluded}`, "RESOURCES"),
];

/** `-l SELECTOR` (described by `selector`) and `--or-selector SELECTORS`. */
export const selectorFlags = (selector: string): FlagSpec[] => [
  selectorFlag(selector),
  {
    name: "or-selector",
    type: "string",
    placeholder: "SELECTORS",
    description: 'items matching any of these selectors, e.g. "app=a or app=b" (not with -l)',
  },
];

/** `--storage-location NAME`: the named backup location to write to or read from. */
export const LOCATION_FLAG: FlagSpec = {
  name: "storage-location",
  type: "string",
  placeholder: "NAME",
  description: "named backup location from the config file (instead of --store)",
};

/** `-w/--wait` of velero, for a `noun` ("backup", "restore") that create always waits for. */
export const waitFlag = (noun: string): FlagSpec => ({
  name: "wait",
  short: "w",
  type: "boolean",
  description: `accepted for velero compatibility (create always waits); exit 1 unless the ${noun} Completed`,
});

/** The options of {@link filterFlags}, `--include-cluster-resources` and {@link selectorFlags}. */
export const filterOptions = (flags: Flags) => {
  const orSelector = flags.string("or-selector");
  return compact({
    includedNamespaces: flags.list("include-namespaces"),
    excludedNamespaces: flags.list("exclude-namespaces"),
    includedResources: flags.list("include-resources"),
    excludedResources: flags.list("exclude-resources"),
    includeClusterResources: flags.bool("include-cluster-resources"),
    labelSelector: flags.string("selector"),
    orLabelSelectors: orSelector === undefined ? undefined : parseOrSelectors(orSelector),
  });
};

/** The options every create verb passes to its SDK call, `P` being its progress updates. */
export interface CreateOptions<P> {
  readonly cluster: Cluster;
  readonly store: ObjectStore;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
  /** From `--volume-snapshot-locations`, else every configured one; absent when there are none. */
  readonly volumeSnapshotLocations?: VolumeSnapshotLocation[];
  /** From `--fs-backup-driver`; absent without it. */
  readonly podVolumes?: PodVolumeOptions;
  /** Draws the progress line; absent when stderr is not a terminal. */
  readonly onProgress?: (progress: P) => void;
}

/** A create verb's run: its progress line, its SDK call and how it prints the result. */
export interface CreateRun<P, R> {
  /** The progress line of the call, on `stderr`. */
  progress(stderr: Io["stderr"]): ProgressLine<P>;
  /** The SDK call (`backup()`, `restore()`), given the common options and the store they name. */
  call(options: CreateOptions<P>, opened: OpenedStore): Promise<R>;
  /** Prints the call's result, once the progress line is gone. */
  print(result: R): Promise<void>;
}

/**
 * Runs a create verb: resolves the snapshot locations and the store (`--storage-location` or
 * `--store`), connects, shows the progress line, lets Ctrl-C abort the call, and prints the result.
 * The progress line is cleared, the signal handlers removed and the cluster closed however the call
 * ends. Resolves to the exit code: 1 with `--wait` when the result's phase is not Completed, else 0.
 */
export const runCreate = async <P, R extends { readonly phase: string }>(
  { flags, settings, io, command }: CommandContext,
  run: CreateRun<P, R>,
): Promise<number> => {
  const volumeSnapshotLocations = await settings.snapshotLocations(flags.list("volume-snapshot-locations"));
  const opened = await settings.openStore(flags.string("storage-location"));
  const cluster = await settings.connect();
  const line = run.progress(io.stderr);
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  let result: R;
  try {
    const podVolumes = await podVolumesFromFlags(flags, opened.target, cluster, command.path);
    interrupt = interruptSignal();
    const options: CreateOptions<P> = {
      cluster,
      store: opened.store,
      signal: interrupt.signal,
      ...(volumeSnapshotLocations ? { volumeSnapshotLocations } : {}),
      ...(podVolumes ? { podVolumes } : {}),
      ...(line.onProgress ? { onProgress: line.onProgress } : {}),
    };
    result = await run.call(options, opened);
  } finally {
    line.finish();
    interrupt?.dispose();
    cluster.close();
  }
  await run.print(result);
  return flags.bool("wait") === true && result.phase !== "Completed" ? EXIT.failed : EXIT.ok;
};

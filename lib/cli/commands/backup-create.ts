/**
 * `stowage backup create NAME`: velero's flags mapped onto `backup()`. Stowage's backup() runs to the
 * end before it returns, so create always waits; `-w/--wait` is accepted for velero compatibility and
 * makes a PartiallyFailed backup exit 1.
 */

import type { BackupOptions } from "../../backup/options.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import { compact, type Flags, parseOrderedResources, parseOrSelectors } from "../flags.ts";
import { encode, write } from "../output.ts";
import { progressLine } from "../progress.ts";
import { SCRIPTS_FLAG } from "../scripts.ts";
import type { FlagSpec } from "../types.ts";
import { backupFromSchedule } from "./backup-from-schedule.ts";
import { FS_BACKUP_FLAGS, podVolumesFromFlags } from "./restic-repo.ts";
import { interruptSignal } from "./shared.ts";

const list = (name: string, description: string, placeholder = "LIST"): FlagSpec => ({
  name,
  type: "list",
  placeholder,
  description,
});

const FLAGS: readonly FlagSpec[] = [
  list("include-namespaces", "namespaces to include, globs allowed (default *)", "NAMESPACES"),
  list("exclude-namespaces", "namespaces to exclude, globs allowed", "NAMESPACES"),
  list("include-resources", "resources to include, e.g. deployments,configmaps (default *)", "RESOURCES"),
  list("exclude-resources", "resources to exclude", "RESOURCES"),
  {
    name: "include-cluster-resources",
    type: "boolean",
    description: "include cluster-scoped resources (=false: none; absent: only for whole-cluster backups)",
  },
  list(
    "include-cluster-scoped-resources",
    "cluster-scoped resources to include (new-style filter)",
    "RESOURCES",
  ),
  list(
    "exclude-cluster-scoped-resources",
    "cluster-scoped resources to exclude (new-style filter)",
    "RESOURCES",
  ),
  list(
    "include-namespace-scoped-resources",
    "namespaced resources to include (new-style filter)",
    "RESOURCES",
  ),
  list(
    "exclude-namespace-scoped-resources",
    "namespaced resources to exclude (new-style filter)",
    "RESOURCES",
  ),
  {
    name: "selector",
    short: "l",
    type: "string",
    placeholder: "SELECTOR",
    description: "only items matching this label selector",
  },
  {
    name: "or-selector",
    type: "string",
    placeholder: "SELECTORS",
    description: 'items matching any of these selectors, e.g. "app=a or app=b" (not with -l)',
  },
  {
    name: "ttl",
    type: "string",
    placeholder: "DURATION",
    description: "how long to keep the backup (default 720h0m0s)",
  },
  list("labels", "labels of the backup, k=v,k2=v2", "MAP"),
  list("annotations", "annotations of the backup, k=v,k2=v2", "MAP"),
  {
    name: "ordered-resources",
    type: "string",
    placeholder: "MAP",
    description: "back up these items first, e.g. 'pods=ns1/a,ns1/b;persistentvolumes=pv1'",
  },
  {
    name: "snapshot-volumes",
    type: "boolean",
    description: "snapshot PVs (=false: none; absent: when there are snapshot locations)",
  },
  list(
    "volume-snapshot-locations",
    "where PVs are snapshotted: names from snapshot-location create, or NAME=PROVIDER[?KEY=VALUE&…] (default: every configured one)",
    "LOCATIONS",
  ),
  {
    name: "storage-location",
    type: "string",
    placeholder: "NAME",
    description: "named backup location from the config file (instead of --store)",
  },
  {
    name: "default-volumes-to-fs-backup",
    type: "boolean",
    description:
      "back up every pod volume with restic unless excluded by backup.velero.io/backup-volumes-excludes",
  },
  ...FS_BACKUP_FLAGS,
  {
    name: "wait",
    short: "w",
    type: "boolean",
    description:
      "accepted for velero compatibility (create always waits); exit 1 unless the backup Completed",
  },
];

/** The `backup()` options the flags ask for (filters, metadata, ordering). */
const backupOptionsFromFlags = (
  flags: Flags,
  path: readonly string[],
): Omit<BackupOptions, "cluster" | "store" | "name"> => {
  const orSelector = flags.string("or-selector");
  const ordered = flags.string("ordered-resources");
  return compact({
    includedNamespaces: flags.list("include-namespaces"),
    excludedNamespaces: flags.list("exclude-namespaces"),
    includedResources: flags.list("include-resources"),
    excludedResources: flags.list("exclude-resources"),
    includeClusterResources: flags.bool("include-cluster-resources"),
    includedClusterScopedResources: flags.list("include-cluster-scoped-resources"),
    excludedClusterScopedResources: flags.list("exclude-cluster-scoped-resources"),
    includedNamespaceScopedResources: flags.list("include-namespace-scoped-resources"),
    excludedNamespaceScopedResources: flags.list("exclude-namespace-scoped-resources"),
    labelSelector: flags.string("selector"),
    orLabelSelectors: orSelector === undefined ? undefined : parseOrSelectors(orSelector),
    ttl: flags.string("ttl"),
    labels: flags.map("labels"),
    annotations: flags.map("annotations"),
    orderedResources: ordered === undefined ? undefined : parseOrderedResources(ordered, path),
    snapshotVolumes: flags.bool("snapshot-volumes"),
    defaultVolumesToFsBackup: flags.bool("default-volumes-to-fs-backup"),
  });
};

/** `stowage backup create`. */
export const backupCreate: CommandSpec = {
  path: ["backup", "create"],
  summary: "Back up a cluster into the store",
  description: `Backs up API objects with velero's filters and writes a Velero 1.18 backup. The command
returns when the backup is complete (Stowage has no server to hand the work to): --wait is accepted
for compatibility, and with it a PartiallyFailed backup exits 1. Ctrl-C cancels the backup and removes
what it wrote. A progress line is shown on stderr when it is a terminal.
With -o json|yaml the written velero-backup.json is printed (velero only prints the request).`,
  args: { usage: "NAME", min: 0, max: 1 },
  flags: [
    ...FLAGS,
    {
      name: "from-schedule",
      type: "string",
      placeholder: "SCHEDULE",
      description:
        "run this schedule of the runner scripts once now (its backup is named <schedule>-<timestamp>)",
    },
    SCRIPTS_FLAG,
  ],
  outputs: ["table", "json", "yaml"],
  examples: [
    "stowage backup create shop-nightly --include-namespaces shop --ttl 72h",
    "stowage backup create all --store s3://backups/prod --s3-endpoint http://minio:9000 --wait",
    "stowage backup create --from-schedule shop-nightly --scripts ./scripts",
  ],
  async run(context) {
    const { args, flags, settings, io, output } = context;
    const fromSchedule = flags.string("from-schedule");
    if (fromSchedule !== undefined) return backupFromSchedule(context, fromSchedule);
    const name = args[0];
    if (name === undefined) {
      throw new UsageError(
        '"stowage backup create" needs NAME (or --from-schedule SCHEDULE)',
        context.command.path,
      );
    }
    const options = backupOptionsFromFlags(flags, context.command.path);
    const snapshotLocations = await settings.snapshotLocations(flags.list("volume-snapshot-locations"));
    const storageLocation = flags.string("storage-location");
    const { store, locationName, target } = await settings.openStore(storageLocation);
    const { backup } = await import("../../index.ts"); // the front door, with the built-in actions: loaded on demand
    const cluster = await settings.connect();
    const podVolumes = await podVolumesFromFlags(flags, target, cluster, context.command.path);
    const progress = progressLine(io.stderr, name);
    const interrupt = interruptSignal();
    try {
      const result = await backup({
        ...options,
        ...(snapshotLocations ? { volumeSnapshotLocations: snapshotLocations } : {}),
        cluster,
        store,
        name,
        storageLocation: locationName,
        ...(podVolumes ? { podVolumes } : {}),
        signal: interrupt.signal,
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
      progress.finish();
      if (output !== "table") {
        await write(io.stdout, encode(result.backup, output));
      } else {
        const { itemsBackedUp, warnings, errors } = result.counts;
        await write(
          io.stdout,
          `Backup "${name}" completed with status: ${result.phase} (${itemsBackedUp} items, ${warnings} warnings, ${errors} errors, ${(result.durationMs / 1000).toFixed(1)} s) in ${result.location}.\n` +
            `You may check for more information using the commands \`stowage backup describe ${name}\` and \`stowage backup logs ${name}\`.\n`,
        );
      }
      return flags.bool("wait") === true && result.phase !== "Completed" ? EXIT.failed : EXIT.ok;
    } finally {
      progress.finish();
      interrupt.dispose();
      cluster.close();
    }
  },
};

/**
 * `stowage backup create NAME`: velero's flags mapped onto `backup()`. Stowage's backup() runs to the
 * end before it returns, so create always waits; `-w/--wait` is accepted for velero compatibility and
 * makes a PartiallyFailed backup exit 1.
 */

import type { BackupOptions } from "../../backup/options.ts";
import type { CommandSpec } from "../command.ts";
import { UsageError } from "../errors.ts";
import { compact, type Flags, parseOrderedResources } from "../flags.ts";
import { encode, write } from "../output.ts";
import { progressLine } from "../progress.ts";
import { SCRIPTS_FLAG } from "../scripts.ts";
import type { FlagSpec } from "../types.ts";
import { backupFromSchedule } from "./backup-from-schedule.ts";
import { filterFlags, filterOptions, LOCATION_FLAG, runCreate, selectorFlags, waitFlag } from "./create.ts";
import { FS_BACKUP_FLAGS } from "./pod-volumes.ts";
import { booleanFlag, listFlag, stringFlag } from "./shared.ts";

const FLAGS: readonly FlagSpec[] = [
  ...filterFlags({ included: "to include", excluded: "to exclude" }),
  booleanFlag(
    "include-cluster-resources",
    "include cluster-scoped resources (=false: none; absent: only for whole-cluster backups)",
  ),
  listFlag(
    "include-cluster-scoped-resources",
    "cluster-scoped resources to include (new-style filter)",
    "RESOURCES",
  ),
  listFlag(
    "exclude-cluster-scoped-resources",
    "cluster-scoped resources to exclude (new-style filter)",
    "RESOURCES",
  ),
  listFlag(
    "include-namespace-scoped-resources",
    "namespaced resources to include (new-style filter)",
    "RESOURCES",
  ),
  listFlag(
    "exclude-namespace-scoped-resources",
    "namespaced resources to exclude (new-style filter)",
    "RESOURCES",
  ),
  ...selectorFlags("only items matching this label selector"),
  stringFlag("ttl", "how long to keep the backup (default 720h0m0s)", "DURATION"),
  listFlag("labels", "labels of the backup, k=v,k2=v2", "MAP"),
  listFlag("annotations", "annotations of the backup, k=v,k2=v2", "MAP"),
  stringFlag(
    "ordered-resources",
    "back up these items first, e.g. 'pods=ns1/a,ns1/b;persistentvolumes=pv1'",
    "MAP",
  ),
  booleanFlag("snapshot-volumes", "snapshot PVs (=false: none; absent: when there are snapshot locations)"),
  listFlag(
    "volume-snapshot-locations",
    "where PVs are snapshotted: names from snapshot-location create, or NAME=PROVIDER[?KEY=VALUE&…] (default: every configured one)",
    "LOCATIONS",
  ),
  LOCATION_FLAG,
  {
    name: "default-volumes-to-fs-backup",
    type: "boolean",
    description:
      "back up every pod volume with restic unless excluded by backup.velero.io/backup-volumes-excludes",
  },
  ...FS_BACKUP_FLAGS,
  waitFlag("backup"),
];

/** The `backup()` options the flags ask for (filters, metadata, ordering). */
const backupOptionsFromFlags = (
  flags: Flags,
  path: readonly string[],
): Omit<BackupOptions, "cluster" | "store" | "name"> => {
  const ordered = flags.string("ordered-resources");
  return compact({
    ...filterOptions(flags),
    includedClusterScopedResources: flags.list("include-cluster-scoped-resources"),
    excludedClusterScopedResources: flags.list("exclude-cluster-scoped-resources"),
    includedNamespaceScopedResources: flags.list("include-namespace-scoped-resources"),
    excludedNamespaceScopedResources: flags.list("exclude-namespace-scoped-resources"),
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
    const { args, flags, io, output } = context;
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
    return runCreate(context, {
      progress: (stderr) => progressLine(stderr, name),
      async call(common, { locationName }) {
        const { backup } = await import("../../index.ts"); // the front door, with the built-in actions: loaded on demand
        return backup({ ...options, ...common, name, storageLocation: locationName });
      },
      async print(result) {
        if (output !== "table") {
          await write(io.stdout, encode(result.backup, output));
          return;
        }
        const { itemsBackedUp, warnings, errors } = result.counts;
        await write(
          io.stdout,
          `Backup "${name}" completed with status: ${result.phase} (${itemsBackedUp} items, ${warnings} warnings, ${errors} errors, ${(result.durationMs / 1000).toFixed(1)} s) in ${result.location}.\n` +
            `You may check for more information using the commands \`stowage backup describe ${name}\` and \`stowage backup logs ${name}\`.\n`,
        );
      },
    });
  },
};

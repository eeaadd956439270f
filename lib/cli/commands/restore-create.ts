/**
 * `stowage restore create [NAME] --from-backup B | --from-schedule S`: velero's flags mapped onto
 * `restore()`. restore() runs to the end before it returns, so create always waits; `-w/--wait` is
 * accepted for velero compatibility and makes a PartiallyFailed restore exit 1. `--dry-run` plans
 * only and prints the plan.
 */

import type { RestoreOptions } from "../../restore/options.ts";
import { parsePriorities } from "../../restore/ordering.ts";
import type { PlanEntry, RestoreResult } from "../../restore/result.ts";
import type { CommandSpec } from "../command.ts";
import { UsageError } from "../errors.ts";
import { compact, type Flags } from "../flags.ts";
import { encode, formatTable, write } from "../output.ts";
import { restoreProgressLine } from "../progress.ts";
import type { FlagSpec } from "../types.ts";
import { filterFlags, filterOptions, LOCATION_FLAG, runCreate, selectorFlags, waitFlag } from "./create.ts";
import { FS_BACKUP_FLAGS } from "./pod-volumes.ts";
import { booleanFlag, listFlag, stringFlag } from "./shared.ts";

const FLAGS: readonly FlagSpec[] = [
  stringFlag(
    "from-backup",
    "backup to restore from (exactly one of --from-backup and --from-schedule)",
    "BACKUP",
  ),
  stringFlag("from-schedule", "restore the newest Completed backup of this schedule", "SCHEDULE"),
  ...filterFlags({ included: "to restore", excluded: "not to restore" }),
  {
    name: "include-cluster-resources",
    type: "boolean",
    description:
      "restore cluster-scoped resources (=false: none; absent: only when all namespaces are restored)",
  },
  ...selectorFlags("only items whose backed-up labels match this selector"),
  listFlag("namespace-mappings", "restore namespaces under other names, old:new,old2:new2", "MAP"),
  stringFlag(
    "existing-resource-policy",
    "objects that exist and differ: none (warn, default) or update (merge-patch)",
    "POLICY",
  ),
  booleanFlag("restore-volumes", "restore volumes from snapshots (=false disables it)"),
  listFlag(
    "volume-snapshot-locations",
    "locations of the backup's snapshots: names or NAME=PROVIDER[?KEY=VALUE&…] (default: every configured one)",
    "LOCATIONS",
  ),
  booleanFlag("preserve-nodeports", "keep Services' node ports"),
  listFlag("status-include-resources", "resources whose status is restored too", "RESOURCES"),
  listFlag("status-exclude-resources", "resources whose status is not restored", "RESOURCES"),
  stringFlag(
    "resource-priorities",
    "restore order for this restore: 'a,b,-,c' (high ones, '-', low ones)",
    "LIST",
  ),
  booleanFlag("dry-run", "plan only (server-side dry run): print what would be done, write nothing"),
  booleanFlag("show-skipped", "with --dry-run, also list the items left out by filters"),
  LOCATION_FLAG,
  waitFlag("restore"),
  ...FS_BACKUP_FLAGS,
];

/** `--namespace-mappings old:new,old2:new2` → `{ old: "new", old2: "new2" }`. */
export const parseNamespaceMappings = (
  parts: readonly string[],
  command: readonly string[],
): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const part of parts) {
    const pieces = part.split(":").map((s) => s.trim());
    if (pieces.length !== 2 || pieces[0] === "" || pieces[1] === "") {
      throw new UsageError(
        `invalid value "${part}" for --namespace-mappings: expected old:new pairs separated by commas, e.g. shop:shop-copy,web:web-copy`,
        command,
      );
    }
    out[pieces[0] as string] = pieces[1] as string;
  }
  return out;
};

/** The `restore()` options the flags ask for (source, filters, policies). */
const restoreOptionsFromFlags = (
  flags: Flags,
  path: readonly string[],
): Omit<RestoreOptions, "cluster" | "store" | "name"> => {
  const fromBackup = flags.string("from-backup");
  const fromSchedule = flags.string("from-schedule");
  if ((fromBackup === undefined) === (fromSchedule === undefined)) {
    throw new UsageError(
      `exactly one of --from-backup and --from-schedule is required, received ${fromBackup === undefined ? "neither" : "both"}`,
      path,
    );
  }
  const policy = flags.string("existing-resource-policy");
  if (policy !== undefined && policy !== "none" && policy !== "update") {
    throw new UsageError(
      `invalid value "${policy}" for --existing-resource-policy: expected none or update`,
      path,
    );
  }
  if (flags.has("selector") && flags.has("or-selector")) {
    throw new UsageError("--selector and --or-selector cannot be used together", path);
  }
  const mappings = flags.list("namespace-mappings");
  const priorities = flags.string("resource-priorities");
  const statusIncluded = flags.list("status-include-resources");
  const statusExcluded = flags.list("status-exclude-resources");
  const restoreStatus =
    statusIncluded === undefined && statusExcluded === undefined
      ? undefined
      : compact({ includedResources: statusIncluded, excludedResources: statusExcluded });
  const parsedPriorities = priorities === undefined ? undefined : parsePriorities(priorities);
  if (parsedPriorities && parsedPriorities.high.length === 0 && (parsedPriorities.low ?? []).length === 0) {
    throw new UsageError(
      `invalid value "${priorities}" for --resource-priorities: expected e.g. 'namespaces,configmaps,-,services'`,
      path,
    );
  }
  return compact({
    backupName: fromBackup,
    scheduleName: fromSchedule,
    ...filterOptions(flags),
    namespaceMapping: mappings === undefined ? undefined : parseNamespaceMappings(mappings, path),
    existingResourcePolicy: policy as "none" | "update" | undefined,
    restorePVs: flags.bool("restore-volumes"),
    preserveNodePorts: flags.bool("preserve-nodeports"),
    restoreStatus,
    priorities: parsedPriorities,
    dryRun: flags.bool("dry-run"),
  });
};

const PLAN_HEADERS = ["ACTION", "RESOURCE", "NAMESPACE", "NAME", "REASON"];

/** The plan as a table; entries left out by filters only with `showSkipped`. */
export const formatPlan = (plan: readonly PlanEntry[], showSkipped: boolean): string => {
  const rows = plan
    .filter((e) => showSkipped || !(e.action === "skip" && (e.reason ?? "").startsWith("filtered")))
    .map((e) => [
      e.action,
      e.resource,
      e.sourceNamespace && e.namespace ? `${e.namespace} (from ${e.sourceNamespace})` : (e.namespace ?? ""),
      e.name,
      e.reason ?? "",
    ]);
  return formatTable(PLAN_HEADERS, rows);
};

const summary = (result: RestoreResult): string => {
  const { itemsRestored, totalItems, warnings, errors } = result.counts;
  const seconds = (result.durationMs / 1000).toFixed(1);
  if (result.dryRun) {
    return `Dry run of restore "${result.name}" from backup "${result.backupName}": ${result.phase} (${result.plan.length} items planned, ${warnings} warnings, ${errors} errors, ${seconds} s). Nothing was written.\n`;
  }
  return (
    `Restore "${result.name}" from backup "${result.backupName}" completed with status: ${result.phase} (${itemsRestored} of ${totalItems} items restored, ${warnings} warnings, ${errors} errors, ${seconds} s).\n` +
    `You may check for more information using the commands \`stowage restore describe ${result.name}\` and \`stowage restore logs ${result.name}\`.\n`
  );
};

/** `stowage restore create`. */
export const restoreCreate: CommandSpec = {
  path: ["restore", "create"],
  summary: "Restore a backup into a cluster",
  description: `Restores the API objects of a backup (ours or Velero's) with velero's filters and policies, and
records the restore in the store (restores/<name>/). NAME defaults to <backup>-<yyyyMMddHHmmss>.
The command returns when the restore is complete: --wait is accepted for compatibility, and with it a
PartiallyFailed restore exits 1. --dry-run validates every object with a server-side dry run and
prints the plan without writing anything. With -o json|yaml the whole result (plan included) is
printed. A progress line is shown on stderr when it is a terminal. Pod volumes backed up with restic
are restored with --fs-backup-driver (job: restic Jobs on the pods' nodes; local: restic here),
before the workload starts; without it a warning names the volumes left empty.`,
  args: { usage: "[NAME]", min: 0, max: 1 },
  flags: FLAGS,
  outputs: ["table", "json", "yaml"],
  examples: [
    "stowage restore create --from-backup shop-nightly --include-namespaces shop --dry-run",
    "stowage restore create shop-copy --from-backup shop-nightly --namespace-mappings shop:shop-copy",
    "stowage restore create --from-schedule nightly --existing-resource-policy update --wait",
  ],
  async run(context) {
    const { args, flags, io, output } = context;
    const options = restoreOptionsFromFlags(flags, context.command.path);
    const name = args[0];
    const shownName = name ?? options.backupName ?? options.scheduleName ?? "restore";
    return runCreate(context, {
      progress: (stderr) => restoreProgressLine(stderr, shownName),
      async call(common) {
        const { restore } = await import("../../index.ts"); // the front door, with the built-in actions: loaded on demand
        return restore({ ...options, ...common, ...(name === undefined ? {} : { name }) });
      },
      async print(result) {
        if (output !== "table") {
          await write(io.stdout, encode(result, output));
        } else if (result.dryRun) {
          await write(io.stdout, formatPlan(result.plan, flags.bool("show-skipped") === true));
          io.stderr.write(summary(result));
        } else {
          await write(io.stdout, summary(result));
        }
      },
    });
  },
};

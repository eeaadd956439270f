/**
 * `stowage backup describe`: velero's backup describer (`pkg/cmd/util/output/backup_describer.go`),
 * line for line, printed through Go's tabwriter settings (minwidth 0, padding 2). Pure formatting; the
 * command loads the files.
 */
import type { Backup, BackupSpec, LabelSelector, Results } from "../store/index.ts";
import { describeVolumes, type VolumeFiles } from "./describe-volumes.ts";
import { Describer, NONE } from "./describer.ts";
import { formatLabelSelectorOrNone } from "./selectors.ts";
import { formatTimestamp } from "./time-format.ts";

/** Everything the describer prints, loaded from the store. */
export interface BackupDescription extends VolumeFiles {
  readonly backup: Backup;
  /** `<name>-results.gz`; null when absent (backups from Velero before 1.11). */
  readonly results: Results | null;
  /** `<name>-resource-list.json.gz` for --details; null when absent, undefined when not asked for. */
  readonly resourceList?: Record<string, string[]> | null;
  readonly details: boolean;
}

const joinOr = (items: readonly string[] | undefined, empty: string): string =>
  items && items.length > 0 ? items.join(", ") : empty;

/** velero's BoolPointerString. */
const boolString = (value: unknown, no: string, yes: string, unset: string): string =>
  value === undefined || value === null ? unset : value ? yes : no;

const describeResults = (d: Describer, backup: Backup, results: Results | null): void => {
  const warnings = backup.status?.warnings ?? 0;
  const errors = backup.status?.errors ?? 0;
  if (warnings === 0 && errors === 0) return;
  if (results === null) {
    d.printf(`Errors:\t${errors}\n`);
    d.printf(`Warnings:\t${warnings}\n`);
    return;
  }
  if (warnings > 0) {
    d.println();
    d.result("Warnings", results.warnings);
  }
  if (errors > 0) {
    d.println();
    d.result("Errors", results.errors);
  }
};

const usesOldFilters = (spec: BackupSpec): boolean =>
  (spec.includeClusterResources !== undefined && spec.includeClusterResources !== null) ||
  (spec.includedResources?.length ?? 0) > 0 ||
  (spec.excludedResources?.length ?? 0) > 0;

const describeSpec = (d: Describer, spec: BackupSpec): void => {
  d.printf("Namespaces:\n");
  d.printf(`\tIncluded:\t${joinOr(spec.includedNamespaces, "*")}\n`);
  d.printf(`\tExcluded:\t${joinOr(spec.excludedNamespaces, NONE)}\n`);
  d.println();
  d.printf("Resources:\n");
  if (usesOldFilters(spec)) {
    d.printf(`\tIncluded:\t${joinOr(spec.includedResources, "*")}\n`);
    d.printf(`\tExcluded:\t${joinOr(spec.excludedResources, NONE)}\n`);
    d.printf(
      `\tCluster-scoped:\t${boolString(spec.includeClusterResources, "excluded", "included", "auto")}\n`,
    );
  } else {
    d.printf(`\tIncluded cluster-scoped:\t${joinOr(spec.includedClusterScopedResources, NONE)}\n`);
    d.printf(`\tExcluded cluster-scoped:\t${joinOr(spec.excludedClusterScopedResources, NONE)}\n`);
    d.printf(`\tIncluded namespace-scoped:\t${joinOr(spec.includedNamespaceScopedResources, "*")}\n`);
    d.printf(`\tExcluded namespace-scoped:\t${joinOr(spec.excludedNamespaceScopedResources, NONE)}\n`);
  }
  d.println();
  d.printf(`Label selector:\t${spec.labelSelector ? formatLabelSelectorOrNone(spec.labelSelector) : NONE}\n`);
  d.println();
  const or = (spec.orLabelSelectors ?? []).map((s: LabelSelector) => formatLabelSelectorOrNone(s));
  d.printf(`Or label selector:\t${or.length > 0 ? or.join(" or ") : NONE}\n`);
  d.println();
  d.printf(`Storage Location:\t${spec.storageLocation ?? ""}\n`);
  d.println();
  d.printf(`Velero-Native Snapshot PVs:\t${boolString(spec.snapshotVolumes, "false", "true", "auto")}\n`);
  if (spec.defaultVolumesToFsBackup !== undefined) {
    d.printf(
      `File System Backup (Default):\t${boolString(spec.defaultVolumesToFsBackup, "false", "true", "")}\n`,
    );
  }
  d.printf(`Snapshot Move Data:\t${boolString(spec.snapshotMoveData, "false", "true", "auto")}\n`);
  d.printf(`Data Mover:\t${spec.datamover || "velero"}\n`);
  d.println();
  d.printf(`TTL:\t${spec.ttl ?? "0s"}\n`);
  d.println();
  d.printf(`CSISnapshotTimeout:\t${spec.csiSnapshotTimeout ?? "0s"}\n`);
  d.printf(`ItemOperationTimeout:\t${spec.itemOperationTimeout ?? "0s"}\n`);
  d.println();
  const hooks = (spec.hooks?.resources ?? []) as HookSpec[];
  if (hooks.length === 0) d.printf(`Hooks:\t${NONE}\n`);
  else describeHooks(d, hooks);
  if (spec.orderedResources) {
    d.println();
    d.printf("OrderedResources:\n");
    for (const [key, value] of Object.entries(spec.orderedResources)) d.printf(`\t${key}: ${value}\n`);
  }
};

/** The fields of a backup hook spec (`spec.hooks.resources[]`) the describer prints. */
interface HookSpec {
  name?: string;
  includedNamespaces?: string[];
  excludedNamespaces?: string[];
  includedResources?: string[];
  excludedResources?: string[];
  labelSelector?: LabelSelector;
  pre?: Array<{ exec?: ExecHook }>;
  post?: Array<{ exec?: ExecHook }>;
}

interface ExecHook {
  container?: string;
  command?: string[];
  onError?: string;
  timeout?: string;
}

/** velero's hooks tree: per hook spec its namespaces, resources, selector and exec hooks. */
const describeHooks = (d: Describer, hooks: readonly HookSpec[]): void => {
  d.printf("Hooks:\n");
  d.printf("\tResources:\n");
  for (const hook of hooks) {
    d.printf(`\t\t${hook.name ?? ""}:\n`);
    d.printf("\t\t\tNamespaces:\n");
    d.printf(`\t\t\t\tIncluded:\t${joinOr(hook.includedNamespaces, "*")}\n`);
    d.printf(`\t\t\t\tExcluded:\t${joinOr(hook.excludedNamespaces, NONE)}\n`);
    d.println();
    d.printf("\t\t\tResources:\n");
    d.printf(`\t\t\t\tIncluded:\t${joinOr(hook.includedResources, "*")}\n`);
    d.printf(`\t\t\t\tExcluded:\t${joinOr(hook.excludedResources, NONE)}\n`);
    d.println();
    d.printf(
      `\t\t\tLabel selector:\t${hook.labelSelector ? formatLabelSelectorOrNone(hook.labelSelector) : NONE}\n`,
    );
    for (const [title, list] of [
      ["Pre Exec Hook", hook.pre],
      ["Post Exec Hook", hook.post],
    ] as const) {
      for (const { exec } of list ?? []) {
        if (!exec) continue;
        d.println();
        d.printf(`\t\t\t${title}:\n`);
        d.printf(`\t\t\t\tContainer:\t${exec.container ?? ""}\n`);
        d.printf(`\t\t\t\tCommand:\t${(exec.command ?? []).join(" ")}\n`);
        d.printf(`\t\t\t\tOn Error:\t${exec.onError ?? ""}\n`);
        d.printf(`\t\t\t\tTimeout:\t${exec.timeout ?? "0s"}\n`);
      }
    }
  }
};

const describeStatus = (d: Describer, input: BackupDescription): void => {
  const status = input.backup.status ?? {};
  d.printf(`Backup Format Version:\t${status.formatVersion ?? ""}\n`);
  d.println();
  d.printf(`Started:\t${formatTimestamp(status.startTimestamp)}\n`);
  d.printf(`Completed:\t${formatTimestamp(status.completionTimestamp)}\n`);
  d.println();
  d.printf(`Expiration:\t${status.expiration ? formatTimestamp(status.expiration) : "<nil>"}\n`);
  d.println();
  if (status.progress) {
    const inProgress = status.phase === "InProgress";
    d.printf(
      `${inProgress ? "Estimated total items to be backed up" : "Total items to be backed up"}:\t${status.progress.totalItems ?? 0}\n`,
    );
    d.printf(
      `${inProgress ? "Items backed up so far" : "Items backed up"}:\t${status.progress.itemsBackedUp ?? 0}\n`,
    );
    d.println();
  }
  const attempted = status.backupItemOperationsAttempted ?? 0;
  if (attempted > 0) {
    d.printf(
      `Backup Item Operations:\t${status.backupItemOperationsCompleted ?? 0} of ${attempted} completed successfully, ${status.backupItemOperationsFailed ?? 0} failed\n`,
    );
  }
  if (input.details) {
    describeResourceList(d, input.resourceList ?? null);
    d.println();
  }
  describeVolumes(d, input);
  if (status.hookStatus) {
    d.println();
    d.printf(`HooksAttempted:\t${status.hookStatus.hooksAttempted ?? 0}\n`);
    d.printf(`HooksFailed:\t${status.hookStatus.hooksFailed ?? 0}\n`);
  }
};

const describeResourceList = (d: Describer, list: Record<string, string[]> | null): void => {
  if (list === null) {
    d.println("Resource List:\t<backup resource list not found>");
    return;
  }
  d.println("Resource List:");
  for (const gvk of Object.keys(list).sort()) {
    d.printf(`\t${gvk}:\n\t\t- ${(list[gvk] ?? []).join("\n\t\t- ")}\n`);
  }
};

/** velero's `backup describe` text for one backup, aligned. */
export const describeBackup = (input: BackupDescription): string => {
  const { backup } = input;
  const d = new Describer();
  d.printf(`Name:\t${backup.metadata?.name ?? ""}\n`);
  d.printf(`Namespace:\t${backup.metadata?.namespace ?? ""}\n`);
  d.map("Labels", backup.metadata?.labels);
  d.map("Annotations", backup.metadata?.annotations);
  d.println();
  const phase = backup.status?.phase || "New";
  const logsNote =
    phase === "Failed" || phase === "PartiallyFailed"
      ? ` (run \`stowage backup logs ${backup.metadata?.name ?? ""}\` for more information)`
      : "";
  d.printf(`Phase:\t${phase}${logsNote}\n`);
  if (phase === "Queued") d.printf(`Queue position:\t${backup.status?.queuePosition ?? 0}\n`);
  if (backup.spec?.resourcePolicy) {
    d.println();
    d.printf(
      `Resource policies:\n\tType:\t${backup.spec.resourcePolicy.kind}\n\tName:\t${backup.spec.resourcePolicy.name}\n`,
    );
  }
  const validationErrors = backup.status?.validationErrors ?? [];
  if (validationErrors.length > 0) {
    d.println();
    d.printf("Validation errors:");
    for (const error of validationErrors) d.printf(`\t${error}\n`);
  }
  d.println();
  describeResults(d, backup, input.results);
  d.println();
  describeSpec(d, backup.spec ?? {});
  d.println();
  describeStatus(d, input);
  return d.toString();
};

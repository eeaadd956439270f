/**
 * `stowage restore describe`: a velero-like restore description (`restore_describer.go`, simplified),
 * printed through the describer's tabwriter. Pure formatting; the command loads the files.
 */
import type { LabelSelector, Results } from "../store/index.ts";
import type { RestoreRecord } from "../store/records.ts";
import { Describer, NONE } from "./describer.ts";
import { formatLabelSelectorOrNone } from "./selectors.ts";
import { formatTimestamp } from "./time-format.ts";

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

const joinOr = (items: readonly string[], empty: string): string =>
  items.length > 0 ? items.join(", ") : empty;

/** The description of one restore record and its results (null when absent). */
export const describeRestore = (restore: RestoreRecord, results: Results | null): string => {
  const d = new Describer();
  const name = restore.metadata?.name ?? "";
  const spec = restore.spec ?? {};
  const status = restore.status ?? {};
  d.printf(`Name:\t${name}\n`);
  d.map("Labels", restore.metadata?.labels);
  d.println();
  const phase = status.phase || "New";
  const logsNote =
    phase === "Failed" || phase === "PartiallyFailed"
      ? ` (run \`stowage restore logs ${name}\` for more information)`
      : "";
  d.printf(`Phase:\t${phase}${logsNote}\n`);
  d.println();
  d.printf(`Started:\t${formatTimestamp(status.startTimestamp)}\n`);
  d.printf(`Completed:\t${formatTimestamp(status.completionTimestamp)}\n`);
  d.println();
  const warnings = status.warnings ?? 0;
  const errors = status.errors ?? 0;
  if (results !== null && warnings > 0) {
    d.result("Warnings", results.warnings);
    d.println();
  } else if (warnings > 0) {
    d.printf(`Warnings:\t${warnings}\n\n`);
  }
  if (results !== null && errors > 0) {
    d.result("Errors", results.errors);
    d.println();
  } else if (errors > 0) {
    d.printf(`Errors:\t${errors}\n\n`);
  }
  d.printf(`Backup:\t${spec.backupName ?? ""}\n`);
  if (typeof spec.scheduleName === "string") d.printf(`Schedule:\t${spec.scheduleName}\n`);
  d.println();
  d.printf("Namespaces:\n");
  d.printf(
    `\tIncluded:\t${joinOr(strings(spec.includedNamespaces), "all namespaces found in the backup")}\n`,
  );
  d.printf(`\tExcluded:\t${joinOr(strings(spec.excludedNamespaces), NONE)}\n`);
  d.println();
  d.printf("Resources:\n");
  d.printf(`\tIncluded:\t${joinOr(strings(spec.includedResources), "*")}\n`);
  d.printf(`\tExcluded:\t${joinOr(strings(spec.excludedResources), NONE)}\n`);
  const cluster = spec.includeClusterResources;
  d.printf(`\tCluster-scoped:\t${cluster === true ? "included" : cluster === false ? "excluded" : "auto"}\n`);
  d.println();
  const mapping = (spec.namespaceMapping ?? {}) as Record<string, string>;
  d.printf(
    `Namespace mappings:\t${joinOr(
      Object.entries(mapping).map(([from, to]) => `${from}=${to}`),
      NONE,
    )}\n`,
  );
  d.println();
  d.printf(
    `Label selector:\t${spec.labelSelector ? formatLabelSelectorOrNone(spec.labelSelector as LabelSelector) : NONE}\n`,
  );
  d.println();
  const or = (Array.isArray(spec.orLabelSelectors) ? spec.orLabelSelectors : []).map((s: LabelSelector) =>
    formatLabelSelectorOrNone(s),
  );
  d.printf(`Or label selector:\t${or.length > 0 ? or.join(" or ") : NONE}\n`);
  d.println();
  const restorePVs = spec.restorePVs;
  d.printf(`Restore PVs:\t${restorePVs === false ? "false" : restorePVs === true ? "true" : "auto"}\n`);
  d.println();
  d.printf(
    `Existing Resource Policy:\t${typeof spec.existingResourcePolicy === "string" ? spec.existingResourcePolicy : NONE}\n`,
  );
  d.println();
  d.printf(`Preserve Service NodePorts:\t${spec.preserveNodePorts === true ? "true" : "auto"}\n`);
  d.println();
  d.printf(`Total items to be restored:\t${status.progress?.totalItems ?? 0}\n`);
  d.printf(`Items restored:\t${status.progress?.itemsRestored ?? 0}\n`);
  if (status.hookStatus) {
    d.println();
    d.printf(`HooksAttempted:\t${status.hookStatus.hooksAttempted ?? 0}\n`);
    d.printf(`HooksFailed:\t${status.hookStatus.hooksFailed ?? 0}\n`);
  }
  return d.toString();
};

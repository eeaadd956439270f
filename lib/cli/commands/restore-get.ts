/** `stowage restore get [NAME...]`: the restores recorded in the store, or their records with -o. */
import type { LabelSelector } from "../../store/index.ts";
import type { RestoreRecord } from "../../store/records.ts";
import type { CommandSpec } from "../command.ts";
import { formatLabelSelectorOrNone } from "../selectors.ts";
import { formatTimestamp } from "../time-format.ts";
import { RESTORES } from "./kinds.ts";
import { getVerb } from "./store-verbs.ts";

/** One table row (Ark's restore columns). */
export const restoreRow = (r: RestoreRecord): string[] => [
  r.metadata?.name ?? "",
  r.spec?.backupName ?? "",
  r.status?.phase || "New",
  String(r.status?.warnings ?? 0),
  String(r.status?.errors ?? 0),
  formatTimestamp(r.metadata?.creationTimestamp ?? r.status?.startTimestamp),
  formatLabelSelectorOrNone(r.spec?.labelSelector as LabelSelector | undefined),
];

const HEADERS = ["NAME", "BACKUP", "STATUS", "WARNINGS", "ERRORS", "CREATED", "SELECTOR"];

/** `stowage restore get`. */
export const restoreGet: CommandSpec = getVerb(RESTORES, {
  summary: "List restores recorded in the store",
  description:
    "Lists the restores recorded in the store (restores/<name>/restore-<name>.json), newest first.\n" +
    "With -o json|yaml, one restore asked for by name prints its record; otherwise a RestoreList.",
  selector: "only restores whose labels match, e.g. velero.io/backup-name=shop-nightly",
  examples: ["stowage restore get", "stowage restore get shop-copy -o yaml"],
  listKind: "RestoreList",
  headers: HEADERS,
  row: restoreRow,
});

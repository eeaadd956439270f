/** `stowage backup get [NAME...]`: velero's backup table, or the velero-backup.json objects with -o. */
import type { Backup } from "../../store/index.ts";
import { parseDuration } from "../../util/duration.ts";
import type { CommandSpec } from "../command.ts";
import { formatLabelSelectorOrNone } from "../selectors.ts";
import { formatTimestamp, timeFromNow } from "../time-format.ts";
import { BACKUPS } from "./kinds.ts";
import { getVerb } from "./store-verbs.ts";

const TIMESTAMP_SUFFIX = /-[0-9]{14}$/;

/**
 * velero's order: by name, except that backups of one schedule (`<prefix>-<yyyyMMddHHmmss>`) are
 * newest first within their prefix.
 */
export const sortBackups = (backups: readonly Backup[]): Backup[] => {
  const name = (b: Backup) => b.metadata?.name ?? "";
  return [...backups].sort((a, b) => {
    const [na, nb] = [name(a), name(b)];
    const [ia, ib] = [TIMESTAMP_SUFFIX.exec(na)?.index, TIMESTAMP_SUFFIX.exec(nb)?.index];
    if (ia === undefined || ib === undefined || na.slice(0, ia) !== nb.slice(0, ib)) {
      return na < nb ? -1 : na > nb ? 1 : 0;
    }
    const [sa, sb] = [na.slice(ia), nb.slice(ib)];
    return sa > sb ? -1 : sa < sb ? 1 : 0;
  });
};

/** velero's expiration: `status.expiration`, else creation + TTL. */
const expiration = (b: Backup): string | undefined => {
  if (b.status?.expiration) return b.status.expiration;
  const created = Date.parse(b.metadata?.creationTimestamp ?? "");
  if (Number.isNaN(created) || !b.spec?.ttl) return undefined;
  try {
    const ttl = parseDuration(b.spec.ttl);
    return ttl > 0 ? new Date(created + ttl).toISOString() : undefined;
  } catch {
    return undefined;
  }
};

/** One table row of velero's backup printer. */
export const backupRow = (b: Backup, now = Date.now()): string[] => [
  b.metadata?.name ?? "",
  b.metadata?.deletionTimestamp ? "Deleting" : b.status?.phase || "New",
  String(b.status?.errors ?? 0),
  String(b.status?.warnings ?? 0),
  b.status?.startTimestamp ? formatTimestamp(b.status.startTimestamp) : "<nil>",
  timeFromNow(expiration(b), now),
  b.spec?.storageLocation ?? "",
  formatLabelSelectorOrNone(b.spec?.labelSelector),
];

const HEADERS = [
  "NAME",
  "STATUS",
  "ERRORS",
  "WARNINGS",
  "CREATED",
  "EXPIRES",
  "STORAGE LOCATION",
  "SELECTOR",
];

/** `stowage backup get`. */
export const backupGet: CommandSpec = getVerb(BACKUPS, {
  summary: "List backups in the store",
  description:
    "Lists the complete backups in the store (those with velero-backup.json), Velero's included.\n" +
    "With -o json|yaml, one backup asked for by name prints its velero-backup.json; otherwise a BackupList.",
  selector: "only backups whose labels match, e.g. velero.io/schedule-name=nightly",
  examples: [
    "stowage backup get",
    "stowage backup get shop-nightly -o yaml",
    "stowage backup get -l app=shop",
  ],
  listKind: "BackupList",
  headers: HEADERS,
  row: (backup) => backupRow(backup),
  sort: sortBackups,
});

/** `stowage restore logs NAME`: the restore's log (`restore-<name>-logs.gz`), gunzipped, streamed to stdout. */
import { logsCommand } from "./log-output.ts";

/** `stowage restore logs`: also shows the log of a restore Velero wrote (it keeps no record). */
export const restoreLogs = logsCommand({
  kind: "restore",
  example: "stowage restore logs shop-copy | grep level=error",
  open: (catalog, name) => catalog.getRestoreLogs(name),
  requireSubject: (catalog, name) => catalog.getRestoreRecord(name),
});

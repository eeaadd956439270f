/** `stowage backup logs NAME`: the backup's log (`<name>-logs.gz`), gunzipped, streamed to stdout. */
import { logsCommand } from "./log-output.ts";
import { requireBackup } from "./shared.ts";

/** `stowage backup logs`. */
export const backupLogs = logsCommand({
  kind: "backup",
  example: "stowage backup logs shop-nightly | grep level=error",
  open: (catalog, name) => catalog.getBackupLogs(name),
  requireSubject: requireBackup,
  // only a complete backup has a log to show (Velero asks for the Backup first too)
  requireFirst: true,
});

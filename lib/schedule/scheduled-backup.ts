/** The usual body of a schedule: a backup named and labelled the way Velero names scheduled backups. */
import { backup } from "../backup/backup.ts";
import type { BackupOptions } from "../backup/options.ts";
import type { BackupResult } from "../backup/result.ts";
import type { ScheduledRun } from "./types.ts";

/** A backup template: every backup option except the name and signal, which each run supplies. */
export type BackupTemplate = Omit<BackupOptions, "name" | "signal">;

/**
 * Returns a `run` function for {@link schedule} that backs up with `template`, named
 * `<schedule>-<yyyyMMddHHmmss>` (UTC), labelled `velero.io/schedule-name=<schedule>` beside the template's
 * labels (as Velero's schedule controller does), and aborted when the runner's grace period ends.
 *
 * @example
 * schedule({ name: "shop-nightly", cron: "0 2 * * *", timezone: "Europe/Berlin",
 *   run: scheduledBackup({ cluster, store, includedNamespaces: ["shop"], ttl: "168h" }) });
 */
export const scheduledBackup =
  (template: BackupTemplate) =>
  (run: ScheduledRun): Promise<BackupResult> =>
    backup({
      ...template,
      name: run.backupName,
      labels: { ...template.labels, ...run.labels },
      signal: run.signal,
    });

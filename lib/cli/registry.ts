/**
 * The command table. Adding a verb is adding its CommandSpec here (and a group summary for a new
 * group): `schedule get` slots in next to the backup and restore verbs.
 */
import type { CommandSpec, GroupSpec } from "./command.ts";
import { backupCreate } from "./commands/backup-create.ts";
import { backupDelete } from "./commands/backup-delete.ts";
import { backupDescribe } from "./commands/backup-describe.ts";
import { backupDownload } from "./commands/backup-download.ts";
import { backupGet } from "./commands/backup-get.ts";
import { locationCreate, locationDelete, locationGet, locationSet } from "./commands/backup-location.ts";
import { backupLogs } from "./commands/backup-logs.ts";
import { helpCommand } from "./commands/help.ts";
import { resticRepoGet, resticRepoInit, resticRepoPrune } from "./commands/restic-repo.ts";
import { restoreCreate } from "./commands/restore-create.ts";
import { restoreDelete } from "./commands/restore-delete.ts";
import { restoreDescribe } from "./commands/restore-describe.ts";
import { restoreGet } from "./commands/restore-get.ts";
import { restoreLogs } from "./commands/restore-logs.ts";
import { runScript } from "./commands/run.ts";
import { runnerCommand } from "./commands/runner.ts";
import { scheduleGet } from "./commands/schedule-get.ts";
import {
  snapshotLocationCreate,
  snapshotLocationDelete,
  snapshotLocationGet,
} from "./commands/snapshot-location.ts";
import { version } from "./commands/version.ts";

/** Command groups, in the order `stowage help` lists them. */
export const GROUPS: readonly GroupSpec[] = [
  { name: "backup", summary: "Work with backups: create, get, describe, logs, download, delete" },
  { name: "restore", summary: "Work with restores: create, get, describe, logs, delete" },
  { name: "backup-location", summary: "Work with named backup locations kept in the config file" },
  { name: "snapshot-location", summary: "Work with named volume snapshot locations kept in the config file" },
  {
    name: "restic",
    summary: "Work with the restic repositories of pod volume backups: repo get, init, prune",
  },
  { name: "schedule", summary: "Work with the schedules runner scripts define: get" },
];

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  backupCreate,
  backupGet,
  backupDescribe,
  backupLogs,
  backupDownload,
  backupDelete,
  restoreCreate,
  restoreGet,
  restoreDescribe,
  restoreLogs,
  restoreDelete,
  resticRepoGet,
  resticRepoPrune,
  resticRepoInit,
  locationCreate,
  locationGet,
  locationSet,
  locationDelete,
  snapshotLocationCreate,
  snapshotLocationGet,
  snapshotLocationDelete,
  scheduleGet,
  runScript,
  runnerCommand,
  version,
  helpCommand(() => ({ commands: COMMANDS, groups: GROUPS })),
];

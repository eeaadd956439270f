/**
 * The command table. Adding a verb is adding its CommandSpec here (and a group summary for a new
 * group): `restore create|get|describe|logs` and `schedule get` slot in next to the backup verbs.
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
import { runScript } from "./commands/run.ts";
import { version } from "./commands/version.ts";

/** Command groups, in the order `stowage help` lists them. */
export const GROUPS: readonly GroupSpec[] = [
  { name: "backup", summary: "Work with backups: create, get, describe, logs, download, delete" },
  { name: "backup-location", summary: "Work with named backup locations kept in the config file" },
];

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  backupCreate,
  backupGet,
  backupDescribe,
  backupLogs,
  backupDownload,
  backupDelete,
  locationCreate,
  locationGet,
  locationSet,
  locationDelete,
  runScript,
  version,
  helpCommand,
];

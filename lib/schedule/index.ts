export { type CronSpec, parseCron, timezoneProblem } from "./cron.ts";
export { adoptSchedule, collectingHost, type ScheduleHost, setScheduleHost } from "./host.ts";
export { outcomeOf } from "./outcome.ts";
export { createSchedule, SCHEDULE_NAME_LABEL, schedule, scheduledBackupName } from "./schedule.ts";
export { type BackupTemplate, scheduledBackup } from "./scheduled-backup.ts";
/** Every type of a schedule, its runs and their records. */
export type * from "./types.ts";

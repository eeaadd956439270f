/**
 * `stowage schedule get [NAME...]`: the schedules that runner scripts define, with their next runs
 * (previewed, never started) and, from the store, each schedule's newest backup — the table velero's
 * `schedule get` prints, for schedules that live in code.
 */

import type { Backup } from "../../store/index.ts";
import { listBackups } from "../../store/records.ts";
import type { CommandSpec } from "../command.ts";
import { CliError, EXIT, messageOf } from "../errors.ts";
import { encode, formatTable, write } from "../output.ts";
import { loadScheduleScripts, SCRIPTS_FLAG } from "../scripts.ts";
import { formatTimestamp, timeFromNow } from "../time-format.ts";

const SCHEDULE_LABEL = "velero.io/schedule-name";
const HEADERS = ["NAME", "STATUS", "SCHEDULE", "TIMEZONE", "NEXT RUN", "LAST BACKUP", "SCRIPT"];

/** `stowage schedule get`. */
export const scheduleGet: CommandSpec = {
  path: ["schedule", "get"],
  summary: "List the schedules runner scripts define, with their next runs",
  description: `Loads the scripts in --scripts (a directory, as the runner mounts it, or one file) the way the
runner does — without starting anything — and lists their schedules: cron, time zone, the next runs
and the newest backup of each in the store (found by the velero.io/schedule-name label). Importing a
script runs its top-level code (e.g. connect()), with the CLI's settings in its environment.
Scripts that fail to load are reported on stderr and make the command exit 1.`,
  args: { usage: "[NAME...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [
    SCRIPTS_FLAG,
    {
      name: "next",
      type: "string",
      placeholder: "N",
      description: "how many next runs -o json|yaml shows (default 5)",
    },
  ],
  outputs: ["table", "json", "yaml"],
  examples: [
    "stowage schedule get --scripts ./scripts",
    "stowage schedule get shop-nightly -o yaml --next 10",
  ],
  async run(context) {
    const { args, flags, settings, io, output } = context;
    const next = Number(flags.string("next") ?? "5");
    if (!Number.isInteger(next) || next < 1) {
      throw new CliError(`--next must be a positive whole number, got "${flags.string("next")}"`);
    }
    const loaded = await loadScheduleScripts(context);
    const schedules = loaded.schedules.filter(
      ({ schedule }) => args.length === 0 || args.includes(schedule.name),
    );
    const missing = args.filter((name) => !schedules.some(({ schedule }) => schedule.name === name));
    for (const name of missing) {
      await write(io.stderr, `stowage: schedule "${name}" is not defined by any script in ${loaded.path}\n`);
    }

    let newest = new Map<string, Backup>();
    try {
      const { store } = await settings.openStore();
      for (const backup of await listBackups(store)) {
        const owner = backup.metadata?.labels?.[SCHEDULE_LABEL];
        if (owner && !newest.has(owner)) newest.set(owner, backup); // listBackups is newest first
      }
    } catch (error) {
      newest = new Map();
      await write(io.stderr, `stowage: last backups unknown: ${messageOf(error)}\n`);
    }

    if (output === "table") {
      const rows = schedules.map(({ schedule, script }) => {
        const last = newest.get(schedule.name);
        return [
          schedule.name,
          schedule.paused ? "Paused" : "Enabled",
          schedule.cron,
          schedule.timezone,
          formatTimestamp(schedule.nextRuns(1)[0]?.toISOString()),
          last ? `${last.metadata?.name} (${timeFromNow(last.status?.startTimestamp)})` : "n/a",
          script,
        ];
      });
      await write(io.stdout, formatTable(HEADERS, rows));
    } else {
      const items = schedules.map(({ schedule, script }) => ({
        name: schedule.name,
        script,
        cron: schedule.cron,
        timezone: schedule.timezone,
        paused: schedule.paused,
        nextRuns: schedule.nextRuns(next).map((d) => d.toISOString()),
        lastBackup: newest.get(schedule.name)?.metadata?.name ?? null,
      }));
      await write(io.stdout, encode({ schedules: items }, output));
    }
    return loaded.failed > 0 || missing.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

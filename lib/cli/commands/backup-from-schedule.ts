/**
 * `stowage backup create --from-schedule S`: velero's "back up now with the schedule's template". A
 * schedule is code here, so the scripts are loaded as the runner loads them and the schedule is
 * triggered once: its backup is named `<schedule>-<yyyyMMddHHmmss>` and labelled, like a scheduled one.
 */
import type { CommandContext } from "../command.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { write } from "../output.ts";
import { loadScheduleScripts } from "../scripts.ts";
import { interruptSignal } from "./shared.ts";

export const backupFromSchedule = async (context: CommandContext, scheduleName: string): Promise<number> => {
  const { args, flags, io, command } = context;
  if (args.length > 0) {
    throw new UsageError(
      `NAME is not used with --from-schedule: the schedule names its backups ${scheduleName}-<yyyyMMddHHmmss>`,
      command.path,
    );
  }
  const loaded = await loadScheduleScripts(context);
  const found = loaded.schedules.find(({ schedule }) => schedule.name === scheduleName);
  if (!found) {
    const known = loaded.schedules.map(({ schedule }) => schedule.name);
    throw new CliError(
      `schedule "${scheduleName}" is not defined by any script in ${loaded.path} (defined: [${known.join(", ")}]): see "stowage schedule get --scripts ${loaded.path}"`,
    );
  }
  const { schedule } = found;
  const interrupt = interruptSignal();
  // Ctrl-C aborts the run at once (a backup removes what it wrote)
  const onInterrupt = () => void schedule.stop({ graceMs: 0 });
  interrupt.signal.addEventListener("abort", onInterrupt, { once: true });
  try {
    const record = await schedule.trigger();
    if (!record) throw new CliError(`schedule "${scheduleName}" is already running in this process`);
    const result = record.result as { name?: string; location?: string } | undefined;
    await write(
      io.stdout,
      `Schedule "${scheduleName}" ran (${found.script}): ${record.outcome}${record.items === undefined ? "" : `, ${record.items} items`} in ${(record.durationMs / 1000).toFixed(1)} s${result?.name ? `; backup "${result.name}"` : ""}${record.error ? `: ${record.error}` : ""}\n`,
    );
    if (record.outcome === "failed") return EXIT.failed;
    return flags.bool("wait") === true && record.outcome !== "succeeded" ? EXIT.failed : EXIT.ok;
  } finally {
    interrupt.signal.removeEventListener("abort", onInterrupt);
    interrupt.dispose();
    await schedule.stop({ graceMs: 0 });
  }
};

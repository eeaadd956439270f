/**
 * Loading runner scripts from the CLI (`schedule get`, `backup create --from-schedule`): the same
 * staging and validation as the runner, with the CLI's settings in the scripts' environment, and
 * nothing started.
 */
import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Schedule } from "../schedule/index.ts";
import type { CommandContext } from "./command.ts";
import { scriptEnvironment } from "./commands/run.ts";
import { CliError } from "./errors.ts";
import { write } from "./output.ts";

/** A `--scripts` flag: a directory of runner scripts, or one script. */
export const SCRIPTS_FLAG = {
  name: "scripts",
  type: "string",
  placeholder: "PATH",
  description: "directory of runner scripts, or one script (default $STOWAGE_SCRIPTS, else ./scripts)",
} as const;

/** The schedules the scripts define (with their script's path); failures are reported on stderr. */
export const loadScheduleScripts = async (
  context: Pick<CommandContext, "flags" | "settings" | "env" | "io">,
): Promise<{ path: string; schedules: { schedule: Schedule; script: string }[]; failed: number }> => {
  const { flags, settings, env, io } = context;
  const path = resolve(flags.string("scripts") ?? env.STOWAGE_SCRIPTS ?? "./scripts");
  const info = await stat(path).catch(() => undefined);
  if (!info) {
    throw new CliError(
      `scripts path ${path} does not exist: pass --scripts DIR (or FILE), or set STOWAGE_SCRIPTS`,
    );
  }
  Object.assign(process.env, await scriptEnvironment(settings));
  const { loadScripts } = await import("../../runner/scripts.ts");
  const report = info.isDirectory()
    ? await loadScripts(path)
    : await loadScripts(dirname(path), { only: [basename(path)] });
  await report.cleanup();
  for (const failure of report.failed) {
    await write(io.stderr, `stowage: script ${failure.path} not loaded: ${failure.error}\n`);
  }
  const schedules = report.loaded.flatMap((script) =>
    script.schedules.map((schedule) => ({ schedule, script: script.path })),
  );
  return { path, schedules, failed: report.failed.length };
};

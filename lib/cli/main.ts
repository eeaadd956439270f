/**
 * The `stowage` CLI: velero's verbs, kubectl's conventions. `main(argv)` finds the command in the
 * table (`registry.ts`), parses its flags, resolves the settings and runs it; every failure becomes
 * `stowage: <message>` on stderr and an exit code (0 ok, 1 failed, 2 usage).
 */
import type { CommandSpec } from "./command.ts";
import { EXIT, reportError, UsageError } from "./errors.ts";
import { parseOutput } from "./flags.ts";
import { commandHelp, groupHelp, rootHelp } from "./help.ts";
import { write } from "./output.ts";
import { locate, parseCommandLine, parseGlobals } from "./parse.ts";
import { COMMANDS, GROUPS } from "./registry.ts";
import { Settings } from "./settings.ts";
import type { Io } from "./types.ts";

const runCommand = async (
  command: CommandSpec,
  before: readonly string[],
  after: readonly string[],
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> => {
  const parsed = parseCommandLine(command, before, after);
  if (parsed.help) {
    await write(io.stdout, commandHelp(command));
    return EXIT.ok;
  }
  const output = parseOutput(parsed.globals.string("output"), command.outputs ?? ["table"], command.path);
  const settings = new Settings(parsed.globals, env, command.path);
  return command.run({
    args: parsed.args,
    flags: parsed.flags,
    settings,
    output,
    io,
    command,
    env,
  });
};

/**
 * Runs the CLI with `argv` (without node and the script path) and resolves to the exit code. Never
 * throws; never prints a stack trace unless STOWAGE_DEBUG=1.
 */
export const main = async (
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> => {
  try {
    // `stowage --version` is `stowage version`
    const located = locate(
      argv.length === 1 && argv[0] === "--version" ? ["version"] : argv,
      COMMANDS,
      GROUPS,
    );
    if (located.kind === "command")
      return await runCommand(located.command, located.before, located.after, io, env);
    const globals = parseGlobals(located.before);
    const path = located.kind === "group" ? located.path : [];
    if (located.before.length > 0 && globals.bool("help") !== true) {
      // flags but no command: a mistake, not a question
      const verbs = COMMANDS.filter(
        (c) => c.path.length > path.length && c.path.slice(0, path.length).join(" ") === path.join(" "),
      ).map((c) => c.path[path.length] as string);
      throw new UsageError(
        `${path.length ? `"stowage ${path.join(" ")}"` : "stowage"} needs a command: one of ${[...new Set(verbs)].join(", ")}`,
        path,
      );
    }
    await write(
      io.stdout,
      located.kind === "root" ? rootHelp(COMMANDS, GROUPS) : groupHelp(path, COMMANDS, GROUPS),
    );
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.stderr, env);
  }
};

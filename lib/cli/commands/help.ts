/** `stowage help [COMMAND...]`: the command list, or one command's or group's help. */
import type { CommandSpec, GroupSpec } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import { helpText } from "../help.ts";
import { write } from "../output.ts";

/**
 * `stowage help`, describing the commands and groups `table` returns. The registry passes its own
 * table as a function, since the table holds this command too.
 */
export const helpCommand = (
  table: () => { readonly commands: readonly CommandSpec[]; readonly groups: readonly GroupSpec[] },
): CommandSpec => ({
  path: ["help"],
  summary: "Show help for stowage or a command",
  args: { usage: "[COMMAND...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [],
  examples: ["stowage help backup create"],
  async run({ args, io }) {
    const { commands, groups } = table();
    const text = helpText(args, commands, groups);
    if (text === undefined) throw new UsageError(`unknown command "${args.join(" ")}"`, []);
    await write(io.stdout, text);
    return EXIT.ok;
  },
});

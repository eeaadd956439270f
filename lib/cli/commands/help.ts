/** `stowage help [COMMAND...]`: the command list, or one command's or group's help. */
import type { CommandSpec } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import { helpText } from "../help.ts";
import { write } from "../output.ts";

/** `stowage help`. It describes the command table it was run from (`context.table`). */
export const helpCommand: CommandSpec = {
  path: ["help"],
  summary: "Show help for stowage or a command",
  args: { usage: "[COMMAND...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [],
  examples: ["stowage help backup create"],
  async run({ args, io, table }) {
    const text = helpText(args, table);
    if (text === undefined) throw new UsageError(`unknown command "${args.join(" ")}"`, []);
    await write(io.stdout, text);
    return EXIT.ok;
  },
};

/** `stowage help [COMMAND...]`: the command list, or one command's or group's help. */
import type { CommandSpec } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import { write } from "../output.ts";

/** `stowage help`. Its text comes from main (which owns the command table) through `context`. */
export const helpCommand: CommandSpec = {
  path: ["help"],
  summary: "Show help for stowage or a command",
  args: { usage: "[COMMAND...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [],
  examples: ["stowage help backup create"],
  async run({ args, io }) {
    // imported lazily: the registry imports this module
    const { helpText } = await import("../main.ts");
    const text = helpText(args);
    if (text === undefined) throw new UsageError(`unknown command "${args.join(" ")}"`, []);
    await write(io.stdout, text);
    return EXIT.ok;
  },
};

/** `stowage restore describe NAME...`: a velero-like description of restores, read from the store. */
import { getRestore } from "../../restore/catalog.ts";
import type { CommandSpec } from "../command.ts";
import { describeRestore } from "../describe-restore.ts";
import { EXIT, messageOf } from "../errors.ts";
import { write } from "../output.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage restore describe`. */
export const restoreDescribe: CommandSpec = {
  path: ["restore", "describe"],
  summary: "Describe restores",
  description:
    "Prints each restore's phase, source backup, filters, namespace mappings, times, item counts, and its warnings and errors.",
  args: { usage: "NAME...", min: 1, max: Number.POSITIVE_INFINITY },
  flags: [STORAGE_LOCATION_FLAG],
  examples: ["stowage restore describe shop-copy"],
  async run({ args, flags, settings, io }) {
    const { store } = await settings.openStore(flags.string("storage-location"));
    let code: number = EXIT.ok;
    let first = true;
    for (const name of args) {
      try {
        const { restore, results } = await getRestore(store, name);
        await write(io.stdout, `${first ? "" : "\n"}${describeRestore(restore, results)}`);
        first = false;
      } catch (error) {
        if (args.length === 1) throw error;
        io.stderr.write(`stowage: ${messageOf(error)}\n`);
        code = EXIT.failed;
      }
    }
    return code;
  },
};

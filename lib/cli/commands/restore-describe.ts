/** `stowage restore describe NAME...`: a velero-like description of restores, read from the store. */
import { getRestore } from "../../store/records.ts";
import type { CommandSpec } from "../command.ts";
import { describeRestore } from "../describe-restore.ts";
import { RESTORES } from "./kinds.ts";
import { describeVerb } from "./store-verbs.ts";

/** `stowage restore describe`. */
export const restoreDescribe: CommandSpec = describeVerb(RESTORES, {
  summary: "Describe restores",
  description:
    "Prints each restore's phase, source backup, filters, namespace mappings, times, item counts, and its warnings and errors.",
  examples: ["stowage restore describe shop-copy"],
  describer: (_context, store) => async (name) => {
    const { restore, results } = await getRestore(store, name);
    return describeRestore(restore, results);
  },
});

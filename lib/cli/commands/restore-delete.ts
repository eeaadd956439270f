/**
 * `stowage restore delete NAME... | --all | -l SELECTOR [--confirm]`: removes restores' records, logs and
 * results from the store (velero's `restore delete`). What a restore created in the cluster stays.
 * Asks on a terminal unless --confirm; refuses without a terminal and without --confirm.
 */
import { deleteRestore } from "../../store/records.ts";
import type { CommandSpec } from "../command.ts";
import { RESTORES } from "./kinds.ts";
import { deleteVerb } from "./store-verbs.ts";

/** `stowage restore delete`. */
export const restoreDelete: CommandSpec = deleteVerb(RESTORES, {
  summary: "Delete restores from the store",
  description:
    "Deletes each restore's record, log and results from the store (restores/<name>/). The objects it restored into the cluster are not touched.",
  examples: ["stowage restore delete shop-copy --confirm", "stowage restore delete --all --confirm"],
  deleter: async () => ({
    async remove(store, name) {
      const { deleted } = await deleteRestore(store, name);
      if (deleted.length === 0) return undefined;
      return `Restore "${name}" deleted (${deleted.length} objects removed from ${store.location}).\n`;
    },
  }),
});

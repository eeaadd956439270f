/**
 * `stowage restore delete NAME... | --all | -l SELECTOR [--confirm]`: removes restores' records, logs and
 * results from the store (velero's `restore delete`). What a restore created in the cluster stays.
 * Asks on a terminal unless --confirm; refuses without a terminal and without --confirm.
 */
import { deleteRestore, listRestores } from "../../restore/catalog.ts";
import type { CommandSpec } from "../command.ts";
import { chooseForDeletion, deletionFlags, deletionRequest, missingMessage } from "../deletion.ts";
import { EXIT, messageOf } from "../errors.ts";
import { write } from "../output.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage restore delete`. */
export const restoreDelete: CommandSpec = {
  path: ["restore", "delete"],
  summary: "Delete restores from the store",
  description:
    "Deletes each restore's record, log and results from the store (restores/<name>/). The objects it restored into the cluster are not touched.",
  args: { usage: "NAME...", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [...deletionFlags("restore"), STORAGE_LOCATION_FLAG],
  examples: ["stowage restore delete shop-copy --confirm", "stowage restore delete --all --confirm"],
  async run({ args, flags, settings, io, command }) {
    const request = deletionRequest("restore", args, flags, io, command.path);
    const { store } = await settings.openStore(flags.string("storage-location"));
    const names = await chooseForDeletion(request, io, store.location, async () =>
      (await listRestores(store)).map((r) => ({ name: r.metadata.name, labels: r.metadata.labels })),
    );
    if (names === undefined) return EXIT.ok;
    let code: number = EXIT.ok;
    for (const name of names) {
      try {
        const { deleted } = await deleteRestore(store, name);
        if (deleted.length === 0) {
          io.stderr.write(missingMessage("restore", name, store.location));
          code = EXIT.failed;
          continue;
        }
        await write(
          io.stdout,
          `Restore "${name}" deleted (${deleted.length} objects removed from ${store.location}).\n`,
        );
      } catch (error) {
        io.stderr.write(`stowage: ${messageOf(error)}\n`);
        code = EXIT.failed;
      }
    }
    return code;
  },
};

/**
 * `stowage restore delete NAME... | --all | -l SELECTOR [--confirm]`: removes restores' records, logs and
 * results from the store (velero's `restore delete`). What a restore created in the cluster stays.
 * Asks on a terminal unless --confirm; refuses without a terminal and without --confirm.
 */
import { deleteRestore, listRestores } from "../../restore/catalog.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT, messageOf, UsageError } from "../errors.ts";
import { write } from "../output.ts";
import { confirm } from "../prompt.ts";
import { labelFilter } from "../selectors.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage restore delete`. */
export const restoreDelete: CommandSpec = {
  path: ["restore", "delete"],
  summary: "Delete restores from the store",
  description:
    "Deletes each restore's record, log and results from the store (restores/<name>/). The objects it restored into the cluster are not touched.",
  args: { usage: "NAME...", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [
    { name: "confirm", type: "boolean", description: "delete without asking" },
    { name: "all", type: "boolean", description: "delete every restore in the store" },
    {
      name: "selector",
      short: "l",
      type: "string",
      placeholder: "SELECTOR",
      description: "delete the restores whose labels match",
    },
    STORAGE_LOCATION_FLAG,
  ],
  examples: ["stowage restore delete shop-copy --confirm", "stowage restore delete --all --confirm"],
  async run({ args, flags, settings, io, command }) {
    const all = flags.bool("all") === true;
    const selector = flags.string("selector");
    const ways = [args.length > 0, all, selector !== undefined].filter(Boolean).length;
    if (ways !== 1) {
      throw new UsageError(
        "name the restores to delete, or pass --all, or -l SELECTOR (exactly one of them)",
        command.path,
      );
    }
    const matches = labelFilter(selector, command.path);
    if (flags.bool("confirm") !== true && !io.stdin.isTTY) {
      throw new UsageError(
        "deleting restores needs confirmation: pass --confirm (stdin is not a terminal to ask on)",
        command.path,
      );
    }
    const { store } = await settings.openStore(flags.string("storage-location"));
    const names =
      args.length > 0
        ? [...new Set(args)]
        : (await listRestores(store)).filter((r) => matches(r.metadata.labels)).map((r) => r.metadata.name);
    if (names.length === 0) {
      io.stderr.write(`No restores to delete in ${store.location}.\n`);
      return EXIT.ok;
    }
    if (flags.bool("confirm") !== true) {
      const ok = await confirm(
        io,
        `Delete ${names.length === 1 ? `restore "${names[0]}"` : `${names.length} restores (${names.join(", ")})`} from ${store.location}? Are you sure you want to continue`,
      );
      if (!ok) {
        io.stderr.write("Nothing deleted.\n");
        return EXIT.ok;
      }
    }
    let code: number = EXIT.ok;
    for (const name of names) {
      try {
        const { deleted } = await deleteRestore(store, name);
        if (deleted.length === 0) {
          io.stderr.write(
            `stowage: restore "${name}" does not exist in ${store.location}: run "stowage restore get" to see what exists\n`,
          );
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

/**
 * `stowage backup delete NAME... [--confirm]`: removes backups from the store, `velero-backup.json`
 * first. Asks on a terminal unless --confirm; refuses without a terminal and without --confirm.
 */
import { deleteBackup, listBackups } from "../../backup/catalog.ts";
import { parseSnapshotLocationSpec } from "../../snapshot/location-spec.ts";
import type { Backup } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT, messageOf, UsageError } from "../errors.ts";
import { write } from "../output.ts";
import { confirm } from "../prompt.ts";
import { labelFilter } from "../selectors.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage backup delete`. */
export const backupDelete: CommandSpec = {
  path: ["backup", "delete"],
  summary: "Delete backups from the store",
  description:
    "Deletes every object of each backup from the store. Volume snapshots are not deleted (Stowage takes none yet).",
  args: { usage: "NAME...", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [
    { name: "confirm", type: "boolean", description: "delete without asking" },
    { name: "all", type: "boolean", description: "delete every backup in the store" },
    {
      name: "selector",
      short: "l",
      type: "string",
      placeholder: "SELECTOR",
      description: "delete the backups whose labels match",
    },
    STORAGE_LOCATION_FLAG,
    {
      name: "volume-snapshot-locations",
      type: "list",
      placeholder: "LOCATIONS",
      description:
        "locations of the backups' volume snapshots, deleted with them: NAME=PROVIDER[?KEY=VALUE&…] (as for backup create)",
    },
  ],
  examples: ["stowage backup delete shop-nightly --confirm", "stowage backup delete -l app=shop --confirm"],
  async run({ args, flags, settings, io, command }) {
    const all = flags.bool("all") === true;
    const snapshotLocations = (flags.list("volume-snapshot-locations") ?? []).map(parseSnapshotLocationSpec);
    const selector = flags.string("selector");
    const ways = [args.length > 0, all, selector !== undefined].filter(Boolean).length;
    if (ways !== 1) {
      throw new UsageError(
        "name the backups to delete, or pass --all, or -l SELECTOR (exactly one of them)",
        command.path,
      );
    }
    const matches = labelFilter(selector, command.path);
    if (flags.bool("confirm") !== true && !io.stdin.isTTY) {
      throw new UsageError(
        "deleting backups needs confirmation: pass --confirm (stdin is not a terminal to ask on)",
        command.path,
      );
    }
    const { store } = await settings.openStore(flags.string("storage-location"));
    const names =
      args.length > 0
        ? [...new Set(args)]
        : (await listBackups(store))
            .filter((b: Backup) => matches(b.metadata?.labels))
            .map((b) => b.metadata?.name ?? "");
    if (names.length === 0) {
      io.stderr.write(`No backups to delete in ${store.location}.\n`);
      return EXIT.ok;
    }
    if (flags.bool("confirm") !== true) {
      const ok = await confirm(
        io,
        `Delete ${names.length === 1 ? `backup "${names[0]}"` : `${names.length} backups (${names.join(", ")})`} from ${store.location}? Are you sure you want to continue`,
      );
      if (!ok) {
        io.stderr.write("Nothing deleted.\n");
        return EXIT.ok;
      }
    }
    let code: number = EXIT.ok;
    for (const name of names) {
      try {
        const { deleted } = await deleteBackup(store, name, { volumeSnapshotLocations: snapshotLocations });
        if (deleted.length === 0) {
          io.stderr.write(
            `stowage: backup "${name}" does not exist in ${store.location}: run "stowage backup get" to see what exists\n`,
          );
          code = EXIT.failed;
          continue;
        }
        await write(
          io.stdout,
          `Backup "${name}" deleted (${deleted.length} objects removed from ${store.location}).\n`,
        );
      } catch (error) {
        io.stderr.write(`stowage: ${messageOf(error)}\n`);
        code = EXIT.failed;
      }
    }
    return code;
  },
};

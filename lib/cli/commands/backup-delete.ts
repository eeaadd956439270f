/**
 * `stowage backup delete NAME... [--confirm]`: deletes backups' volume snapshots and restic pod volume
 * snapshots, then every key from the store, `velero-backup.json` first. Asks on a terminal unless
 * --confirm; refuses without a terminal and without --confirm.
 */
import { type DeleteBackupOptions, deleteBackup, listBackups } from "../../backup/catalog.ts";
import type { Cluster } from "../../kube/client.ts";
import { backupPodVolumeSnapshots } from "../../podvolume/forget.ts";
import type { Backup } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT, messageOf, UsageError } from "../errors.ts";
import { write } from "../output.ts";
import { confirm } from "../prompt.ts";
import { labelFilter } from "../selectors.ts";
import { backendOf, CREDENTIALS_FLAG } from "./restic-repo.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage backup delete`. */
export const backupDelete: CommandSpec = {
  path: ["backup", "delete"],
  summary: "Delete backups from the store",
  description:
    "Deletes each backup's volume snapshots (from --volume-snapshot-locations) and restic pod volume snapshots (restic forget, run locally with the keys from the cluster), then every object of it from the store, and the restores made from it. A backup whose snapshots cannot be deleted stays whole.",
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
        "locations of the backups' volume snapshots, deleted with them: names or NAME=PROVIDER[?KEY=VALUE&…] (default: every configured one)",
    },
    {
      name: "keep-pod-volume-snapshots",
      type: "boolean",
      description: "leave the backups' restic pod volume snapshots in their repositories",
    },
    CREDENTIALS_FLAG,
  ],
  examples: ["stowage backup delete shop-nightly --confirm", "stowage backup delete -l app=shop --confirm"],
  async run({ args, flags, settings, io, command }) {
    const all = flags.bool("all") === true;
    const snapshotLocations =
      (await settings.snapshotLocations(flags.list("volume-snapshot-locations"))) ?? [];
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
    const { store, target } = await settings.openStore(flags.string("storage-location"));
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
    // the cluster (for the repository keys) only when a backup has pod volume snapshots to forget
    let podVolumes: DeleteBackupOptions["podVolumes"] =
      flags.bool("keep-pod-volume-snapshots") === true ? false : undefined;
    let cluster: Cluster | undefined;
    const credentialsNamespace = flags.string("credentials-namespace");
    const optionsFor = async (name: string): Promise<DeleteBackupOptions> => {
      if (podVolumes === undefined && (await backupPodVolumeSnapshots(store, name)).count > 0) {
        cluster = await settings.connect();
        podVolumes = {
          cluster,
          backend: await backendOf(target),
          ...(credentialsNamespace ? { credentialsNamespace } : {}),
        };
      }
      return {
        volumeSnapshotLocations: snapshotLocations,
        ...(podVolumes === undefined ? {} : { podVolumes }),
      };
    };
    let code: number = EXIT.ok;
    try {
      for (const name of names) {
        try {
          const { deleted, deletedSnapshots, forgottenPodVolumeSnapshots, deletedRestores } =
            await deleteBackup(store, name, await optionsFor(name));
          if (deleted.length === 0) {
            io.stderr.write(
              `stowage: backup "${name}" does not exist in ${store.location}: run "stowage backup get" to see what exists\n`,
            );
            code = EXIT.failed;
            continue;
          }
          await write(
            io.stdout,
            `Backup "${name}" deleted (${[
              `${deleted.length} objects removed from ${store.location}`,
              ...(deletedSnapshots.length ? [`${deletedSnapshots.length} volume snapshot(s) deleted`] : []),
              ...(forgottenPodVolumeSnapshots.length
                ? [`${forgottenPodVolumeSnapshots.length} restic snapshot(s) forgotten`]
                : []),
              ...(deletedRestores.length ? [`its restore(s) ${deletedRestores.join(", ")} removed`] : []),
            ].join(", ")}).\n`,
          );
        } catch (error) {
          io.stderr.write(`stowage: ${messageOf(error)}\n`);
          code = EXIT.failed;
        }
      }
    } finally {
      cluster?.close();
    }
    return code;
  },
};

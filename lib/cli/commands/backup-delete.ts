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
import { chooseForDeletion, deletionFlags, deletionRequest, missingMessage } from "../deletion.ts";
import { EXIT, messageOf } from "../errors.ts";
import { write } from "../output.ts";
import { CREDENTIALS_FLAG } from "./restic-repo.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage backup delete`. */
export const backupDelete: CommandSpec = {
  path: ["backup", "delete"],
  summary: "Delete backups from the store",
  description:
    "Deletes each backup's volume snapshots (from --volume-snapshot-locations) and restic pod volume snapshots (restic forget, run locally with the keys from the cluster), then every object of it from the store, and the restores made from it. A backup whose snapshots cannot be deleted stays whole.",
  args: { usage: "NAME...", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [
    ...deletionFlags("backup"),
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
    const request = deletionRequest("backup", args, flags, io, command.path);
    const snapshotLocations =
      (await settings.snapshotLocations(flags.list("volume-snapshot-locations"))) ?? [];
    const { store } = await settings.openStore(flags.string("storage-location"));
    const names = await chooseForDeletion(request, io, store.location, async () =>
      (await listBackups(store)).map((b: Backup) => ({
        name: b.metadata?.name ?? "",
        labels: b.metadata?.labels,
      })),
    );
    if (names === undefined) return EXIT.ok;
    // the cluster (for the repository keys) only when a backup has pod volume snapshots to forget
    let podVolumes: DeleteBackupOptions["podVolumes"] =
      flags.bool("keep-pod-volume-snapshots") === true ? false : undefined;
    let cluster: Cluster | undefined;
    const credentialsNamespace = flags.string("credentials-namespace");
    const optionsFor = async (name: string): Promise<DeleteBackupOptions> => {
      if (podVolumes === undefined && (await backupPodVolumeSnapshots(store, name)).count > 0) {
        cluster = await settings.connect();
        podVolumes = { cluster, ...(credentialsNamespace ? { credentialsNamespace } : {}) };
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
            io.stderr.write(missingMessage("backup", name, store.location));
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

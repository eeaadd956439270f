/**
 * `stowage backup delete NAME... [--confirm]`: deletes backups' volume snapshots and restic pod volume
 * snapshots, then every key from the store, `velero-backup.json` first. Asks on a terminal unless
 * --confirm; refuses without a terminal and without --confirm.
 */
import { type DeleteBackupOptions, deleteBackup } from "../../backup/delete.ts";
import type { Cluster } from "../../kube/client.ts";
import { backupPodVolumeSnapshots } from "../../podvolume/forget.ts";
import type { ObjectStore } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { BACKUPS } from "./kinds.ts";
import { CREDENTIALS_FLAG } from "./pod-volumes.ts";
import { deleteVerb } from "./store-verbs.ts";

/** `stowage backup delete`. */
export const backupDelete: CommandSpec = deleteVerb(BACKUPS, {
  summary: "Delete backups from the store",
  description:
    "Deletes each backup's volume snapshots (from --volume-snapshot-locations) and restic pod volume snapshots (restic forget, run locally with the keys from the cluster), then every object of it from the store, and the restores made from it. A backup whose snapshots cannot be deleted stays whole.",
  flags: [
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
  async deleter({ flags, settings }) {
    const volumeSnapshotLocations =
      (await settings.snapshotLocations(flags.list("volume-snapshot-locations"))) ?? [];
    // the cluster (for the repository keys) only when a backup has pod volume snapshots to forget
    let podVolumes: DeleteBackupOptions["podVolumes"] =
      flags.bool("keep-pod-volume-snapshots") === true ? false : undefined;
    let cluster: Cluster | undefined;
    const credentialsNamespace = flags.string("credentials-namespace");
    const optionsFor = async (store: ObjectStore, name: string): Promise<DeleteBackupOptions> => {
      const snapshots = podVolumes === undefined ? await backupPodVolumeSnapshots(store, name) : undefined;
      if (snapshots && (snapshots.count > 0 || snapshots.run)) {
        cluster = await settings.connect();
        podVolumes = { cluster, ...(credentialsNamespace ? { credentialsNamespace } : {}) };
      }
      return { volumeSnapshotLocations, ...(podVolumes === undefined ? {} : { podVolumes }) };
    };
    return {
      async remove(store, name) {
        const { deleted, deletedSnapshots, forgottenPodVolumeSnapshots, deletedRestores } =
          await deleteBackup(store, name, await optionsFor(store, name));
        if (deleted.length === 0) return undefined;
        return `Backup "${name}" deleted (${[
          `${deleted.length} objects removed from ${store.location}`,
          ...(deletedSnapshots.length ? [`${deletedSnapshots.length} volume snapshot(s) deleted`] : []),
          ...(forgottenPodVolumeSnapshots.length
            ? [`${forgottenPodVolumeSnapshots.length} restic snapshot(s) forgotten`]
            : []),
          ...(deletedRestores.length ? [`its restore(s) ${deletedRestores.join(", ")} removed`] : []),
        ].join(", ")}).\n`;
      },
      close: () => cluster?.close(),
    };
  },
});

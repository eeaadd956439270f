/** `stowage backup describe NAME... [--details]`: velero's describe text, read from the store. */
import { StoreError } from "../../errors.ts";
import { type BackupJsonFile, type Catalog, openCatalog } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { type BackupDescription, describeBackup } from "../describe-backup.ts";
import type { NativeSnapshot, PodVolumeBackup, VolumeInfo } from "../describe-volumes.ts";
import { BACKUPS } from "./kinds.ts";
import { describeVerb } from "./store-verbs.ts";

/** A sidecar file, or null when it is absent (older backups lack newer files). */
const optional = async <T>(catalog: Catalog, name: string, file: BackupJsonFile): Promise<T | null> => {
  try {
    return await catalog.getBackupJson<T>(name, file);
  } catch (error) {
    if (error instanceof StoreError && error.code === "ERR_NOT_FOUND") return null;
    throw error;
  }
};

/** Loads what `describeBackup` prints for backup `name`. */
export const loadDescription = async (
  catalog: Catalog,
  name: string,
  details: boolean,
): Promise<BackupDescription> => {
  const backup = await catalog.getBackupMetadata(name);
  const status = backup.status ?? {};
  const hasResults = (status.warnings ?? 0) > 0 || (status.errors ?? 0) > 0;
  const [results, resourceList, volumeInfo, podVolumeBackups] = await Promise.all([
    hasResults ? optional<BackupDescription["results"]>(catalog, name, "results") : null,
    details ? optional<Record<string, string[]>>(catalog, name, "resourceList") : undefined,
    optional<VolumeInfo[]>(catalog, name, "volumeInfo"),
    optional<PodVolumeBackup[]>(catalog, name, "podVolumeBackups"),
  ]);
  const volumeSnapshots =
    volumeInfo === null && (status.volumeSnapshotsAttempted ?? 0) > 0
      ? await optional<NativeSnapshot[]>(catalog, name, "volumeSnapshots")
      : null;
  return {
    backup,
    results,
    ...(resourceList === undefined ? {} : { resourceList }),
    volumeInfo,
    volumeSnapshots,
    podVolumeBackups,
    details,
  };
};

/** `stowage backup describe`. */
export const backupDescribe: CommandSpec = describeVerb(BACKUPS, {
  summary: "Describe backups",
  description:
    "Prints velero's description of each backup: phase, errors and warnings, filters, times, volumes.",
  flags: [
    {
      name: "details",
      type: "boolean",
      description:
        "also list every backed-up resource (from <name>-resource-list.json.gz) and volume details",
    },
  ],
  examples: ["stowage backup describe shop-nightly --details"],
  describer({ flags }, store) {
    const catalog = openCatalog(store);
    const details = flags.bool("details") === true;
    return async (name) => describeBackup(await loadDescription(catalog, name, details));
  },
});

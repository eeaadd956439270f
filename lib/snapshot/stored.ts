import type { Catalog } from "../store/catalog.ts";
import { checkRecordList } from "../util/record-list.ts";
import type { BackupVolumeInfo, NativeSnapshotRecord } from "./types.ts";

/** A backup's native-snapshot records and volume infos as stored (Velero's and ours). */
export interface StoredVolumeRecords {
  /** `-volumesnapshots.json.gz`; `[]` when absent or `null`. */
  readonly snapshots: readonly NativeSnapshotRecord[];
  /** `-volumeinfo.json.gz`; `null` when absent (backups before Velero 1.13): the legacy rules apply. */
  readonly volumeInfo: readonly BackupVolumeInfo[] | null;
}

const optional = async <T>(read: () => Promise<T | null>): Promise<T | null> => {
  try {
    return await read();
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_NOT_FOUND") return null;
    throw error;
  }
};

/**
 * Reads the volume records of backup `name`; missing files are not errors (older backups lack them), files
 * that are not lists of objects are (FormatError).
 */
export const readVolumeRecords = async (catalog: Catalog, name: string): Promise<StoredVolumeRecords> => {
  const [snapshots, volumeInfo] = await Promise.all([
    optional(() => catalog.getBackupJson<NativeSnapshotRecord[]>(name, "volumeSnapshots")),
    optional(() => catalog.getBackupJson<BackupVolumeInfo[]>(name, "volumeInfo")),
  ]);
  checkRecordList(name, "volumesnapshots.json.gz", "volume snapshots", snapshots ?? []);
  if (volumeInfo !== null) checkRecordList(name, "volumeinfo.json.gz", "volume infos", volumeInfo);
  return { snapshots: snapshots ?? [], volumeInfo };
};

import { ConfigError, ValidationError } from "../errors.ts";
import type { Catalog } from "../store/catalog.ts";
import { messageOf, SnapshotError } from "./errors.ts";
import { checkSnapshotLocations, openSnapshotLocations } from "./locations.ts";
import { readVolumeRecords } from "./stored.ts";
import type { VolumeSnapshotLocation } from "./types.ts";

/**
 * Deletes the native snapshots recorded for backup `name` (Velero's backup deletion: "not found" is
 * success). Throws — before deleting anything when a location is missing — naming every snapshot that
 * remains, so the caller keeps the backup that still refers to them. Returns the snapshot IDs deleted.
 * `also`: snapshots known from elsewhere (a run's progress record), deleted with the recorded ones.
 */
export const deleteBackupSnapshots = async (
  catalog: Catalog,
  name: string,
  locations: readonly VolumeSnapshotLocation[],
  also: readonly { readonly location: string; readonly persistentVolume: string; readonly id: string }[] = [],
): Promise<string[]> => {
  const { snapshots } = await readVolumeRecords(catalog, name);
  const recorded = snapshots.filter((s) => s.status.providerSnapshotID);
  const ids = new Set(recorded.map((s) => s.status.providerSnapshotID));
  const taken = [
    ...recorded,
    ...also
      .filter((s) => !ids.has(s.id) && Boolean(ids.add(s.id)))
      .map((s) => ({
        spec: { location: s.location, persistentVolumeName: s.persistentVolume },
        status: { providerSnapshotID: s.id },
      })),
  ];
  if (taken.length === 0) return [];
  const problems: string[] = [];
  const resolved = checkSnapshotLocations(locations, problems);
  if (problems.length > 0) throw new ValidationError(problems, `deleteBackup("${name}") options`);
  const needed = [...new Set(taken.map((s) => s.spec.location))];
  const missing = needed.filter((location) => !resolved.some((l) => l.name === location));
  if (missing.length > 0) {
    throw new ConfigError(
      `backup "${name}" has ${taken.length} volume snapshot(s) in location(s) [${missing.join(", ")}] that were not given: pass volumeSnapshotLocations with those names so its snapshots are deleted too; nothing was deleted`,
    );
  }
  const opened = await openSnapshotLocations(resolved.filter((l) => needed.includes(l.name)));
  const deleted: string[] = [];
  const failures: string[] = [];
  try {
    for (const snapshot of taken) {
      const id = snapshot.status.providerSnapshotID!;
      try {
        await opened.get(snapshot.spec.location)!.snapshotter.deleteSnapshot(id);
        deleted.push(id);
      } catch (error) {
        failures.push(
          `error deleting snapshot ${id} of PV ${snapshot.spec.persistentVolumeName}: ${messageOf(error)}`,
        );
      }
    }
  } finally {
    await opened.close();
  }
  if (failures.length > 0) {
    throw new SnapshotError(
      `backup "${name}" was not deleted because ${failures.length} of its snapshots could not be deleted (it still refers to them; try again):\n${failures.map((f) => `  - ${f}`).join("\n")}`,
    );
  }
  return deleted;
};

/**
 * The `Backup Volumes:` part of `backup describe`, from `-volumeinfo.json.gz` (Velero 1.13+), else the
 * legacy `-volumesnapshots.json.gz`, and `-podvolumebackups.json.gz`. Stowage writes these empty until
 * snapshots and file-system backup arrive; backups Velero wrote show their volumes.
 */
import type { Describer } from "./describer.ts";

/** The volume sidecar files of a backup; `null` when a file is absent or holds `null`. */
export interface VolumeFiles {
  /** `-volumeinfo.json.gz`; `undefined`/`null` when absent (older backups: legacy files are used). */
  readonly volumeInfo: readonly VolumeInfo[] | null;
  /** `-volumesnapshots.json.gz` (legacy native snapshots). */
  readonly volumeSnapshots: readonly NativeSnapshot[] | null;
  /** `-podvolumebackups.json.gz`. */
  readonly podVolumeBackups: readonly PodVolumeBackup[] | null;
  readonly details: boolean;
}

/** The fields of a `BackupVolumeInfo` the describer prints. */
export interface VolumeInfo {
  readonly backupMethod?: string;
  readonly pvName?: string;
  readonly pvcName?: string;
  readonly pvcNamespace?: string;
  readonly result?: string;
  readonly nativeSnapshotInfo?: {
    readonly snapshotHandle?: string;
    readonly volumeType?: string;
    readonly volumeAZ?: string;
    readonly iops?: string;
  };
}

/** The fields of a legacy native snapshot record the describer prints. */
export interface NativeSnapshot {
  readonly spec?: {
    readonly persistentVolumeName?: string;
    readonly volumeType?: string;
    readonly volumeAZ?: string;
    readonly volumeIOPS?: number;
  };
  readonly status?: { readonly providerSnapshotID?: string; readonly phase?: string };
}

/** The fields of a PodVolumeBackup the describer prints. */
export interface PodVolumeBackup {
  readonly spec?: {
    readonly uploaderType?: string;
    readonly volume?: string;
    readonly pod?: { readonly namespace?: string; readonly name?: string };
  };
  readonly status?: { readonly phase?: string };
}

const PHASE_ORDER = [
  "Completed",
  "Failed",
  "Canceled",
  "In Progress",
  "Canceling",
  "Prepared",
  "Accepted",
  "New",
];

const phaseGroup = (phase: string | undefined): string =>
  phase === "InProgress" ? "In Progress" : !phase ? "New" : phase;

const describeNative = (d: Describer, details: boolean, infos: readonly VolumeInfo[]): void => {
  if (infos.length === 0) {
    d.printf("\tVelero-Native Snapshots: <none included>\n");
    return;
  }
  d.println("\tVelero-Native Snapshots:");
  for (const info of infos) {
    if (!details) {
      d.printf(`\t\t${info.pvName ?? ""}: specify --details for more information\n`);
      continue;
    }
    const snap = info.nativeSnapshotInfo ?? {};
    d.printf(`\t\t${info.pvName ?? ""}:\n`);
    d.printf(`\t\t\tSnapshot ID:\t${snap.snapshotHandle ?? ""}\n`);
    d.printf(`\t\t\tType:\t${snap.volumeType ?? ""}\n`);
    d.printf(`\t\t\tAvailability Zone:\t${snap.volumeAZ ?? ""}\n`);
    d.printf(`\t\t\tIOPS:\t${snap.iops ?? ""}\n`);
    d.printf(`\t\t\tResult:\t${info.result ?? ""}\n`);
  }
};

const describePodVolumeBackups = (d: Describer, details: boolean, pvbs: readonly PodVolumeBackup[]): void => {
  if (pvbs.length === 0) {
    d.printf("\tPod Volume Backups: <none included>\n");
    return;
  }
  const uploader = pvbs[0]?.spec?.uploaderType ?? "";
  d.printf(
    details
      ? `\tPod Volume Backups - ${uploader}:\n`
      : `\tPod Volume Backups - ${uploader} (specify --details for more information):\n`,
  );
  for (const phase of PHASE_ORDER) {
    const inPhase = pvbs.filter((p) => phaseGroup(p.status?.phase) === phase);
    if (inPhase.length === 0) continue;
    if (!details) {
      d.printf(`\t\t${phase}:\t${inPhase.length}\n`);
      continue;
    }
    const byPod = new Map<string, string[]>();
    for (const pvb of inPhase) {
      const label = `${pvb.spec?.pod?.namespace ?? ""}/${pvb.spec?.pod?.name ?? ""}`;
      byPod.set(label, [...(byPod.get(label) ?? []), pvb.spec?.volume ?? ""]);
    }
    d.printf(`\t\t${phase}:\n`);
    for (const [label, volumes] of [...byPod].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      d.printf(`\t\t\t${label}: ${volumes.sort().join(", ")}\n`);
    }
  }
};

/** Legacy native snapshot records as volume infos. */
const fromLegacy = (snapshots: readonly NativeSnapshot[]): VolumeInfo[] =>
  snapshots.map((s) => ({
    pvName: s.spec?.persistentVolumeName ?? "",
    result: s.status?.phase === "Completed" ? "succeeded" : "failed",
    nativeSnapshotInfo: {
      snapshotHandle: s.status?.providerSnapshotID ?? "",
      volumeType: s.spec?.volumeType ?? "",
      volumeAZ: s.spec?.volumeAZ ?? "",
      iops: s.spec?.volumeIOPS === undefined ? "" : String(s.spec.volumeIOPS),
    },
  }));

/** Prints `Backup Volumes:` with native snapshots, CSI snapshots and pod volume backups. */
export const describeVolumes = (d: Describer, files: VolumeFiles): void => {
  d.println("Backup Volumes:");
  const legacy = files.volumeInfo === null;
  const infos = files.volumeInfo ?? [];
  const native = legacy
    ? fromLegacy(files.volumeSnapshots ?? [])
    : infos.filter((i) => i.backupMethod === "NativeSnapshot");
  const csi = infos.filter((i) => i.backupMethod === "CSISnapshot");
  describeNative(d, files.details, native);
  d.println();
  if (csi.length === 0) {
    d.printf(`\tCSI Snapshots: ${legacy ? "<none included or not detectable>" : "<none included>"}\n`);
  } else {
    d.println("\tCSI Snapshots:");
    for (const info of csi) d.printf(`\t\t${info.pvcNamespace ?? ""}/${info.pvcName ?? ""}:\n`);
  }
  d.println();
  describePodVolumeBackups(d, files.details, files.podVolumeBackups ?? []);
};

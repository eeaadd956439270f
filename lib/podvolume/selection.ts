/**
 * Which volumes of a pod are backed up file by file (Velero's `GetVolumesByPod` plus the backupper's
 * skips), and where each one's directory is on the node (`GetVolumeDirectory`). Pure.
 *
 * - Opt-in (default): the volumes named in `backup.velero.io/backup-volumes`, `stowage.dev/backup-volumes`
 *   or Ark's `backup.ark.heptio.com/backup-volumes` (comma-separated; the lists are joined).
 * - Opt-out (`defaultVolumesToFsBackup`): every volume but those in `backup.velero.io/backup-volumes-excludes`
 *   or `stowage.dev/backup-volumes-excludes`.
 * - Always skipped: hostPath, secret, configMap, projected, downwardAPI, `default-token*`, PVCs when the
 *   backup excludes PVCs, block devices, volumes no container mounts, names the pod does not have.
 */
import type { KubeObject } from "../kube/types.ts";

/** Opt-in annotations, Velero's first. */
export const BACKUP_VOLUMES_ANNOTATIONS = [
  "backup.velero.io/backup-volumes",
  "stowage.dev/backup-volumes",
  "backup.ark.heptio.com/backup-volumes",
] as const;
/** Opt-out exclusion annotations. */
export const EXCLUDE_VOLUMES_ANNOTATIONS = [
  "backup.velero.io/backup-volumes-excludes",
  "stowage.dev/backup-volumes-excludes",
] as const;

/** A pod volume as the pod spec declares it. */
export interface PodVolume {
  readonly name: string;
  readonly [source: string]: unknown;
}

/** A volume chosen for file-system backup. */
export interface SelectedVolume {
  readonly name: string;
  /** The claim, for PVC volumes. */
  readonly claimName?: string;
}

/** A volume left out, and why (logged: info for kinds never backed up, warning for surprises). */
export interface SkippedVolume {
  readonly name: string;
  readonly reason: string;
  /** True when the user asked for it (annotation) or would expect it: logged as a warning. */
  readonly warn: boolean;
}

/** What {@link selectPodVolumes} decided. */
export interface VolumeSelection {
  readonly selected: readonly SelectedVolume[];
  readonly skipped: readonly SkippedVolume[];
}

const NEVER: ReadonlyArray<[string, string]> = [
  ["hostPath", "a hostPath volume is not under the kubelet's pod directory"],
  ["secret", "Secrets are backed up as API objects"],
  ["configMap", "ConfigMaps are backed up as API objects"],
  ["projected", "a projected volume's data comes from the API"],
  ["downwardAPI", "a downwardAPI volume's data comes from the API"],
];

const listed = (annotations: Readonly<Record<string, string>>, keys: readonly string[]): string[] => [
  ...new Set(
    keys.flatMap((key) => (annotations[key] ? annotations[key].split(",") : [])).filter((v) => v !== ""),
  ),
];

/** Chooses the pod's volumes to back up. */
export const selectPodVolumes = (
  pod: KubeObject,
  options: {
    /** Velero's opt-out mode. @default false */
    readonly defaultVolumesToFsBackup?: boolean;
    /** Whether the backup includes PVCs (volumes of excluded PVCs are skipped). @default true */
    readonly includesPvcs?: boolean;
  } = {},
): VolumeSelection => {
  const annotations = pod.metadata?.annotations ?? {};
  const spec = (pod.spec ?? {}) as {
    volumes?: PodVolume[];
    containers?: Array<{ volumeMounts?: Array<{ name: string }>; volumeDevices?: Array<{ name: string }> }>;
  };
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const mounted = new Set((spec.containers ?? []).flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  const devices = new Set((spec.containers ?? []).flatMap((c) => (c.volumeDevices ?? []).map((d) => d.name)));
  const optOut = options.defaultVolumesToFsBackup === true;
  const excludes = new Set(listed(annotations, EXCLUDE_VOLUMES_ANNOTATIONS));
  const wanted = optOut ? [...volumes.keys()] : listed(annotations, BACKUP_VOLUMES_ANNOTATIONS);
  const selected: SelectedVolume[] = [];
  const skipped: SkippedVolume[] = [];
  for (const name of wanted) {
    const volume = volumes.get(name);
    if (!volume) {
      skipped.push({ name, reason: "the pod has no volume of that name", warn: true });
      continue;
    }
    const never = NEVER.find(([source]) => volume[source] !== undefined && volume[source] !== null);
    if (never) {
      skipped.push({ name, reason: never[1], warn: !optOut });
      continue;
    }
    if (name.startsWith("default-token")) {
      skipped.push({ name, reason: "a service account token volume", warn: false });
      continue;
    }
    const claim = (volume.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName;
    if (claim !== undefined && options.includesPvcs === false) {
      skipped.push({ name, reason: "the backup excludes persistentvolumeclaims", warn: false });
      continue;
    }
    if (optOut && excludes.has(name)) {
      skipped.push({ name, reason: "opted out (backup-volumes-excludes)", warn: false });
      continue;
    }
    if (devices.has(name)) {
      skipped.push({ name, reason: "a block volume: file-system backup needs a file system", warn: true });
      continue;
    }
    if (!mounted.has(name)) {
      skipped.push({ name, reason: "no container mounts it, so the kubelet has not created it", warn: true });
      continue;
    }
    selected.push(claim === undefined ? { name } : { name, claimName: claim });
  }
  return { selected, skipped };
};

/**
 * The volume's directory below `<kubelet>/pods/<uid>/volumes/<plugin>/`: the PV's name for a bound PVC
 * (`<pv>/mount` for CSI file-system volumes), else the pod volume's name.
 */
export const volumeDirectory = (volume: SelectedVolume, pv?: KubeObject): string => {
  if (volume.claimName === undefined || !pv?.metadata?.name) return volume.name;
  const spec = (pv.spec ?? {}) as { csi?: unknown; volumeMode?: string };
  return spec.csi !== undefined && spec.volumeMode !== "Block"
    ? `${pv.metadata.name}/mount`
    : pv.metadata.name;
};

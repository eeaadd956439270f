/**
 * File-system backup of pod volumes with restic: the location's backend, pure command builders, the
 * local and Kubernetes Job drivers, repository keys, volume selection and Velero's records.
 */
export {
  type RepositoryAddress,
  type ResticBackend,
  type ResticBackendSource,
  type ResticS3Credentials,
  repositoryAddress,
  resticBackend,
} from "./backend.ts";
export {
  type BackupCommandOptions,
  backupCommand,
  type CommonOptions,
  checkCommand,
  DEFAULT_HOST,
  forgetCommand,
  initCommand,
  probeCommand,
  pruneCommand,
  type ResticCommand,
  type RestoreCommandOptions,
  restoreCommand,
  type SnapshotsCommandOptions,
  snapshotsCommand,
} from "./commands.ts";
export type {
  PodVolumeDriver,
  Repository,
  VolumeBackupOutcome,
  VolumeBackupRequest,
  VolumeLocation,
  VolumeRestoreOutcome,
  VolumeRestoreRequest,
} from "./driver.ts";
export {
  type BackupPodVolumeSnapshots,
  backupPodVolumeSnapshots,
  type PodVolumeDeleteOptions,
} from "./forget.ts";
export { DEFAULT_IMAGE, type JobDriverOptions, jobDriver } from "./job-driver.ts";
export {
  DEFAULT_CREDENTIALS_NAMESPACE,
  findRepositoryKey,
  type KeyRef,
  RepositoryKey,
  STOWAGE_KEY_SECRET,
} from "./keys.ts";
export { type LocalDriver, type LocalDriverOptions, localDriver, type PruneOutcome } from "./local-driver.ts";
export {
  type PrunedRepository,
  type PruneRepositoriesOptions,
  type PruneRepositoriesResult,
  pruneRepositories,
} from "./maintenance.ts";
export type { PodVolumeOptions } from "./options.ts";
export {
  type BackupSummary,
  ResticError,
  type ResticFailure,
  type RestoreSummary,
  type VolumeProgress,
} from "./output.ts";
export type { PodVolumeBackupPhase, PodVolumeBackupRecord } from "./records.ts";
export {
  DEFAULT_KEY_SIZE,
  getRepositories,
  type InitRepositoryOptions,
  type InitRepositoryResult,
  initRepository,
  type RepositoryStatus,
} from "./repository.ts";
export type { ResticRun, RunOptions } from "./run-restic.ts";
export {
  BACKUP_VOLUMES_ANNOTATIONS,
  EXCLUDE_VOLUMES_ANNOTATIONS,
  type SelectedVolume,
  type SkippedVolume,
  selectPodVolumes,
  type VolumeSelection,
} from "./selection.ts";

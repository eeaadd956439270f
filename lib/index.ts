/**
 * Stowage: Kubernetes backup and restore as TypeScript code, in Velero's exact format.
 *
 * This is the front door (`import … from "stowage"`): the public contract users' scripts, examples and
 * runner scripts rely on. Internals live behind deliberate subpaths: `stowage/format` (the archive),
 * `stowage/store` (object-store helpers, codecs, Velero's layout) and `stowage/restic` (restic command
 * builders, repository helpers, volume selection).
 *
 * It is also the composition root: it installs the built-in item actions (hooks/) into the backup and
 * restore engines, which never import them. Every entry that runs a backup or restore loads this module.
 */
import { BUILTIN_ACTIONS } from "../hooks/index.ts";
import { setBuiltinActions } from "./actions/builtin.ts";

setBuiltinActions(BUILTIN_ACTIONS);

export {
  registerBackupItemAction,
  registeredBackupItemActions,
  registeredRestoreItemActions,
  registerRestoreItemAction,
} from "./actions/registered.ts";
export type {
  ActionLogger,
  BackupInfo,
  BackupItemAction,
  BackupItemActionInput,
  BackupItemActionOutput,
  ItemAction,
  ItemActionInput,
  ItemActionOutput,
  ResourceIdentifier,
  ResourceSelector,
  RestoreInfo,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionOutput,
  RunInfo,
} from "./actions/types.ts";
export { backup } from "./backup/backup.ts";
export { type DeleteBackupOptions, type DeletedBackup, deleteBackup } from "./backup/delete.ts";
export {
  type AbandonedRun,
  collectGarbage,
  type ExpiredBackup,
  type GarbageCollectionOptions,
  type GarbageCollectionResult,
} from "./backup/gc.ts";
export type { BackupHooks, BackupOptions, BackupProgress } from "./backup/options.ts";
export type { BackupResult } from "./backup/result.ts";
export {
  AbortError,
  ConfigError,
  FormatError,
  isStowageError,
  StoreError,
  StowageError,
  type StowageErrorCode,
  ValidationError,
} from "./errors.ts";
export type {
  BackupResourceHook,
  BackupResourceHookSpec,
  ExecHookSpec,
  PodHookContext,
  PodHookExecOptions,
  PodHookFunction,
} from "./hooks/backup-spec.ts";
export { HookCommandError, type HookErrorMode } from "./hooks/exec-hook.ts";
export type {
  ExecRestoreHook,
  InitRestoreHook,
  RestoreHooks,
  RestorePodHookContext,
  RestorePodHookFunction,
  RestoreResourceHook,
  RestoreResourceHookSpec,
} from "./hooks/restore-spec.ts";
export {
  type AfterHookContext,
  type HookOutcome,
  type RunHookContext,
  RunHookError,
  type RunHooks,
  type RunHooksReport,
  type VerifyOutcome,
  type VerifyRestore,
} from "./hooks/run.ts";
export type { HookStatus } from "./hooks/tracker.ts";
export {
  AlreadyExistsError,
  AmbiguousRequestError,
  type ApiGroup,
  type ApiResource,
  Cluster,
  type ConfigOptions,
  ConflictError,
  type ConnectOptions,
  connect,
  createReconciled,
  type DeleteOptions,
  type Discovery,
  ExecError,
  type ExecOptions,
  type ExecResult,
  ExecTimeoutError,
  ForbiddenError,
  InvalidError,
  isAlreadyExists,
  isNotFound,
  KubeApiError,
  type KubeObject,
  type KubeRequest,
  type KubeResponse,
  KubeUnreachableError,
  type ListOptions,
  type ListPage,
  NotFoundError,
  type ObjectMeta,
  type PatchOptions,
  type PatchType,
  type Reconciled,
  type ReconcileOptions,
  type RequestOptions,
  type ResourceRef,
  type RetryEvent,
  type RetryOptions,
  type StatusCause,
  UnauthorizedError,
  type WriteOptions,
} from "./kube/index.ts";
export {
  type InitRepositoryOptions,
  type InitRepositoryResult,
  initRepository,
  type JobDriverOptions,
  jobDriver,
  type KeyRef,
  type LocalDriver,
  type LocalDriverOptions,
  localDriver,
  type PodVolumeDeleteOptions,
  type PodVolumeDriver,
  type PodVolumeOptions,
  type PrunedRepository,
  type PruneOutcome,
  type PruneRepositoriesOptions,
  type PruneRepositoriesResult,
  pruneRepositories,
  type Repository,
  type RepositoryAddress,
  type RepositoryKey,
  type ResticBackend,
  type ResticBackendSource,
  type ResticCommand,
  ResticError,
  type ResticFailure,
  resticBackend,
  type VolumeBackupOutcome,
  type VolumeLocation,
  type VolumeRestoreOutcome,
} from "./podvolume/index.ts";
export type { RestoreOptions, RestoreProgress } from "./restore/options.ts";
export {
  DEFAULT_HIGH_PRIORITIES,
  DEFAULT_LOW_PRIORITIES,
  parsePriorities,
  type RestorePriorities,
} from "./restore/ordering.ts";
export { restore } from "./restore/restore.ts";
export type { PlanAction, PlanEntry, RestorePhase, RestoreResult } from "./restore/result.ts";
export {
  type BackupTemplate,
  createSchedule,
  type RunOutcome,
  type RunRecord,
  SCHEDULE_NAME_LABEL,
  type Schedule,
  type ScheduledRun,
  type ScheduleEvent,
  type ScheduleOptions,
  type ScheduleStats,
  type StartOptions,
  type StopOptions,
  schedule,
  scheduledBackup,
  scheduledBackupName,
  type TickGate,
} from "./schedule/index.ts";
export { awsVolumeSnapshotter, azureVolumeSnapshotter, gcpVolumeSnapshotter } from "./snapshot/builtin.ts";
export { SnapshotError } from "./snapshot/errors.ts";
export type { AwsSnapshotterOptions } from "./snapshot/providers/aws.ts";
export type { AzureSnapshotterOptions } from "./snapshot/providers/azure.ts";
export type { GcpSnapshotterOptions } from "./snapshot/providers/gcp.ts";
export {
  listVolumeSnapshotters,
  registerVolumeSnapshotter,
  unregisterVolumeSnapshotter,
} from "./snapshot/registry.ts";
export {
  type ClaimRef,
  type SnapshotOptions,
  snapshot,
  type VolumeFromSnapshotOptions,
  type VolumeSnapshot,
  volumeFromSnapshot,
} from "./snapshot/snapshot.ts";
export type {
  BackupVolumeInfo,
  NativeSnapshotInfo,
  NativeSnapshotRecord,
  OperationOptions,
  RestoreVolumeInfo,
  SnapshotPhase,
  SnapshotProgress,
  VolumeInfo,
  VolumeSnapshotLocation,
  VolumeSnapshotter,
  VolumeSnapshotterFactory,
} from "./snapshot/types.ts";
export {
  type Backup,
  type BackupLocation,
  type BackupPhase,
  type BackupSpec,
  type BackupStatus,
  type Catalog,
  type FsStoreOptions,
  fsStore,
  listObjectStoreProviders,
  type ObjectBody,
  type ObjectStore,
  type ObjectStoreProvider,
  openCatalog,
  openLocation,
  type PutOptions,
  type ResourceList,
  type Result,
  type Results,
  registerObjectStoreProvider,
  type S3Credentials,
  type S3StoreOptions,
  type StoreAddress,
  s3Store,
  storeFromEnv,
} from "./store/index.ts";
export {
  type BackupRecord,
  deleteRestore,
  getBackup,
  getRestore,
  listBackups,
  listRestores,
  type RestoreRecord,
  restoresOfBackup,
} from "./store/records.ts";

export { AWS_CONFIG_KEYS } from "./aws-provider.ts";
export {
  assertValidLayout,
  type BackupCatalog,
  type BackupFiles,
  type BackupJsonFile,
  type BackupProgressRecord,
  type Catalog,
  type IncompleteBackup,
  openCatalog,
  type ProgressPodVolumes,
  type ProgressVolumeSnapshot,
  type RestoreCatalog,
  type RestoreFiles,
  type RestoreJsonFile,
} from "./catalog.ts";
export {
  decodeBackupMetadata,
  decodeJsonGz,
  decodeTextGz,
  encodeBackupMetadata,
  encodeJson,
  encodeJsonGz,
  encodeTextGz,
} from "./codec.ts";
export { type BackupLocation, openLocation, resolveLocation } from "./config.ts";
export {
  DEFAULT_STORE_DIR,
  parseStoreAddress,
  type StoreAddress,
  storeFromEnv,
} from "./from-env.ts";
export { type FsStoreOptions, fsStore } from "./fs-store.ts";
export { commonPrefixesOf, validateKey, validatePrefix } from "./keys.ts";
export {
  type BackupKeys,
  backupKeys,
  backupNameFromPrefix,
  backupsPrefix,
  kopiaRepoPrefix,
  type RestoreKeys,
  resticRepoPrefix,
  restoreKeys,
  restoresPrefix,
  TOP_LEVEL_DIRS,
  type TopLevelDir,
  unknownTopLevelDirs,
} from "./layout.ts";
export { validateObjectName } from "./names.ts";
export {
  getBuffer,
  getText,
  listAll,
  type ObjectBody,
  type ObjectStore,
  type PutOptions,
} from "./object-store.ts";
export {
  getObjectStoreProvider,
  listObjectStoreProviders,
  type ObjectStoreProvider,
  type ResolvedLocation,
  registerObjectStoreProvider,
  resolveProviderName,
  unregisterObjectStoreProvider,
} from "./providers.ts";
export { type S3ChecksumAlgorithm, type S3Credentials, type S3StoreOptions, s3Store } from "./s3-store.ts";
export type {
  Backup,
  BackupPhase,
  BackupSpec,
  BackupStatus,
  LabelSelector,
  ResourceList,
  Result,
  Results,
} from "./types.ts";

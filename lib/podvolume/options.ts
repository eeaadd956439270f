/**
 * `podVolumes`, the option of `backup()` and `restore()` that turns on file-system backup of pod volumes
 * with restic, and its one normaliser.
 */
import { ConfigError, describeValue } from "../errors.ts";
import type { ObjectStore } from "../store/object-store.ts";
import { type ResticBackend, resticBackend } from "./backend.ts";
import type { PodVolumeDriver } from "./driver.ts";
import { DEFAULT_CREDENTIALS_NAMESPACE } from "./keys.ts";

/** File-system backup and restore of pod volumes. */
export interface PodVolumeOptions {
  /** Where restic runs: `jobDriver({ cluster, … })` (a Job on the pod's node) or `localDriver()`. */
  readonly driver: PodVolumeDriver;
  /**
   * The restic backend of the backup location (`await resticBackend({ s3: <s3Store options> })`).
   * @default derived from the store (`resticBackend({ store })`: directory stores and `s3Store`s)
   */
  readonly backend?: ResticBackend;
  /** Namespace of the repository key Secrets (and of the Jobs, for the Job driver). @default "velero" */
  readonly credentialsNamespace?: string;
  /** Volumes backed up or restored at once. @default 4 */
  readonly concurrency?: number;
  /** How long a backup or restore waits for all its pod volumes. @default 14400000 (4 h) */
  readonly timeoutMs?: number;
  /** `--host` of the snapshots. @default "velero" (as Velero's restic backups) */
  readonly host?: string;
  /**
   * Restore only: the image of the `restore-wait` init container (needs `/bin/sh`).
   * @default the Job driver's image, $STOWAGE_IMAGE, else "stowage/stowage:0.1.0"
   */
  readonly restoreHelperImage?: string;
  /**
   * Restore only: how long to wait for a restored pod to be scheduled before its volumes are given up.
   * @default 600000 (10 min)
   */
  readonly scheduleTimeoutMs?: number;
}

/** {@link PodVolumeOptions} after defaults. */
export interface ResolvedPodVolumeOptions {
  readonly driver: PodVolumeDriver;
  readonly backend: ResticBackend;
  readonly credentialsNamespace: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly host: string | undefined;
  readonly restoreHelperImage: string | undefined;
  readonly scheduleTimeoutMs: number;
}

/** Copies, defaults and checks `podVolumes`; `store` is the run's store (for the default backend). */
export const normalizePodVolumeOptions = async (
  input: PodVolumeOptions,
  store: ObjectStore,
): Promise<ResolvedPodVolumeOptions> => {
  if (typeof input !== "object" || input === null || typeof input.driver?.backupVolume !== "function") {
    throw new ConfigError(
      `podVolumes: expected { driver: localDriver() | jobDriver({...}), backend?, … }, got ${describeValue(input)}`,
    );
  }
  const concurrency = input.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError(
      `podVolumes.concurrency must be a positive integer, got ${describeValue(input.concurrency)}`,
    );
  }
  for (const key of ["timeoutMs", "scheduleTimeoutMs"] as const) {
    const value = input[key];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new ConfigError(
        `podVolumes.${key} must be a positive number of milliseconds, got ${describeValue(value)}`,
      );
    }
  }
  return {
    driver: input.driver,
    backend: input.backend ?? (await resticBackend({ store })),
    credentialsNamespace: input.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE,
    concurrency,
    timeoutMs: input.timeoutMs ?? 4 * 3600_000,
    host: input.host,
    restoreHelperImage: input.restoreHelperImage,
    scheduleTimeoutMs: input.scheduleTimeoutMs ?? 600_000,
  };
};

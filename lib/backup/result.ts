import type { RunHooksReport } from "../hooks/run.ts";
import type { Backup, BackupPhase, Result } from "../store/types.ts";
import { kubeTime } from "../util/duration.ts";

/** What `backup()` returns: Velero's outcome as data. */
export interface BackupResult {
  readonly name: string;
  /** `Completed`, or `PartiallyFailed` when any item or action logged an error (or `hooks.after` failed). */
  readonly phase: Extract<BackupPhase, "Completed" | "PartiallyFailed">;
  readonly counts: {
    readonly itemsBackedUp: number;
    readonly totalItems: number;
    readonly warnings: number;
    readonly errors: number;
  };
  /** Warnings by `velero` / `cluster` / `namespaces[ns]`, as in `<name>-results.gz`. */
  readonly warnings: Result;
  /** Errors by `velero` / `cluster` / `namespaces[ns]`. */
  readonly errors: Result;
  readonly startTimestamp: string;
  readonly completionTimestamp: string;
  readonly expiration: string;
  readonly durationMs: number;
  /** Where the backup went (the store's location, never credentials). */
  readonly location: string;
  /** Velero's `hookStatus`: pod hooks due (attempted) and failed in this backup. */
  readonly hookStatus: { readonly hooksAttempted: number; readonly hooksFailed: number };
  /** The `velero-backup.json` that was written. */
  readonly backup: Backup;
  /**
   * What `hooks.before` / `hooks.after` did, when given. A failed `after` also counts as an error here
   * (`errors.velero`, `counts.errors`, `phase` PartiallyFailed), not in `backup`: it runs once that is written.
   */
  readonly runHooks?: RunHooksReport;
}

/** The {@link BackupResult} of a backup whose velero-backup.json is `backup`, with its run's results. */
export const backupResult = (
  backup: Backup,
  run: {
    readonly name: string;
    readonly phase: BackupResult["phase"];
    readonly location: string;
    readonly itemsBackedUp: number;
    readonly results: { readonly warnings: Result; readonly errors: Result };
    readonly warnings: number;
    readonly errors: number;
    readonly started: Date;
    readonly completed: Date;
  },
): BackupResult => ({
  name: run.name,
  phase: run.phase,
  counts: {
    itemsBackedUp: run.itemsBackedUp,
    totalItems: run.itemsBackedUp,
    warnings: run.warnings,
    errors: run.errors,
  },
  warnings: run.results.warnings,
  errors: run.results.errors,
  startTimestamp: kubeTime(run.started),
  completionTimestamp: kubeTime(run.completed),
  expiration: backup.status?.expiration ?? "",
  durationMs: run.completed.getTime() - run.started.getTime(),
  location: run.location,
  hookStatus: {
    hooksAttempted: backup.status?.hookStatus?.hooksAttempted ?? 0,
    hooksFailed: backup.status?.hookStatus?.hooksFailed ?? 0,
  },
  backup,
});

import type { Backup, BackupPhase, Result } from "../store/types.ts";

/** What `backup()` returns: Velero's outcome as data. */
export interface BackupResult {
  readonly name: string;
  /** `Completed`, or `PartiallyFailed` when any item or action logged an error. */
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
  /** The `velero-backup.json` that was written. */
  readonly backup: Backup;
}

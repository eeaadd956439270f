import type { Result } from "../store/types.ts";

/** What the restore does (dry run) or did with one backed-up object. */
export type PlanAction = "create" | "update" | "skip" | "conflict" | "fail";

/** One object of the plan; the same shape for a dry run and for the real restore. */
export interface PlanEntry {
  /** Group-resource, e.g. `deployments.apps`. */
  readonly resource: string;
  /** Target namespace (after mapping); undefined for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
  /** Namespace in the backup, when mapped to another one. */
  readonly sourceNamespace?: string;
  readonly action: PlanAction;
  /** Why: `identical`, `filtered: …`, `exists and differs`, the server's admission error, … */
  readonly reason?: string;
}

export type RestorePhase = "Completed" | "PartiallyFailed";

/** What `restore()` returns. */
export interface RestoreResult {
  readonly name: string;
  readonly backupName: string;
  readonly phase: RestorePhase;
  readonly dryRun: boolean;
  readonly counts: {
    readonly itemsRestored: number;
    readonly totalItems: number;
    readonly warnings: number;
    readonly errors: number;
  };
  readonly warnings: Result;
  readonly errors: Result;
  /** Every object considered, in restore order. */
  readonly plan: readonly PlanEntry[];
  readonly startTimestamp: string;
  readonly completionTimestamp: string;
  readonly durationMs: number;
}

import type { RunHooksReport, VerifyOutcome } from "../hooks/run.ts";
import type { RestoreRecord } from "../store/catalog.ts";
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

/** How a restore ended (Velero's phases): `Completed`, or `PartiallyFailed` when any error was logged. */
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
  /**
   * The post-restore exec hooks run in restored pods (Velero's `status.hookStatus`): attempted, and of
   * those failed (including hooks given up waiting for their container).
   */
  readonly hookStatus: { readonly hooksAttempted: number; readonly hooksFailed: number };
  readonly startTimestamp: string;
  readonly completionTimestamp: string;
  readonly durationMs: number;
  /** How `verify` went, when given (its problems are also errors above, scope velero). */
  readonly verify?: VerifyOutcome;
  /**
   * What `hooks.before` / `hooks.after` did, when given. A failed `after` also counts as an error here
   * (`errors.velero`, `counts.errors`, `phase` PartiallyFailed), not in the stored record: it runs after that.
   */
  readonly runHooks?: RunHooksReport;
}

const OUTCOMES = { create: "created", update: "updated", conflict: "skipped", fail: "failed" } as const;

/**
 * The `-resource-list.json.gz` of a restore, built as entries are recorded: `<apiVersion>/<Kind>` →
 * `ns/name(outcome)`, skipped items left out.
 */
export const createRestoredResourceList = () => {
  const lists = new Map<string, string[]>();
  return {
    /** Records `entry` of an item of kind `gvk` (undefined: not read from the archive, not listed). */
    add(entry: PlanEntry, gvk: string | undefined): void {
      if (!gvk || entry.action === "skip") return;
      const list = lists.get(gvk) ?? [];
      list.push(`${entry.namespace ? `${entry.namespace}/` : ""}${entry.name}(${OUTCOMES[entry.action]})`);
      lists.set(gvk, list);
    },
    /** The list as written: kinds and their items sorted. */
    sorted: (): Record<string, string[]> =>
      Object.fromEntries(
        [...lists.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.sort()]),
      ),
  };
};

/** The Restore object written as `restore-<name>.json` (Velero's fields, zero counts left out). */
export const restoreRecord = (init: {
  readonly name: string;
  readonly uid: string;
  readonly backupName: string;
  readonly spec: Record<string, unknown>;
  /** `Failed` only in the record of a restore that stopped (aborted, or an error outside any item). */
  readonly phase: RestorePhase | "Failed";
  readonly started: string;
  readonly completed: string;
  readonly warnings: number;
  readonly errors: number;
  readonly totalItems: number;
  readonly itemsRestored: number;
  /** Velero's finalizer always sets it (zero counts left out). */
  readonly hookStatus: { readonly hooksAttempted: number; readonly hooksFailed: number };
}): RestoreRecord => ({
  kind: "Restore",
  apiVersion: "velero.io/v1",
  metadata: {
    name: init.name,
    namespace: "velero",
    uid: init.uid,
    creationTimestamp: init.started,
    labels: { "velero.io/backup-name": init.backupName },
  },
  spec: init.spec,
  status: {
    phase: init.phase,
    startTimestamp: init.started,
    completionTimestamp: init.completed,
    ...(init.warnings ? { warnings: init.warnings } : {}),
    ...(init.errors ? { errors: init.errors } : {}),
    progress: { totalItems: init.totalItems, itemsRestored: init.itemsRestored },
    hookStatus: {
      ...(init.hookStatus.hooksAttempted ? { hooksAttempted: init.hookStatus.hooksAttempted } : {}),
      ...(init.hookStatus.hooksFailed ? { hooksFailed: init.hookStatus.hooksFailed } : {}),
    },
  },
});

/** How a run's return value maps to an outcome: backup/restore results carry a phase and item counts. */
import { isRecord } from "../util/is-record.ts";
import type { RunRecord } from "./types.ts";

interface PhasedResult {
  readonly phase?: unknown;
  readonly counts?: { readonly itemsBackedUp?: unknown; readonly itemsRestored?: unknown };
  readonly errors?: unknown;
}

const FAILED_PHASES = new Set(["Failed", "FailedValidation", "FailedPreCheck"]);

/**
 * `Completed` (or anything without a phase) → succeeded; `PartiallyFailed` → partially_failed; a failed
 * phase → failed. Items come from `counts.itemsBackedUp` / `counts.itemsRestored`.
 */
export const outcomeOf = (result: unknown): Pick<RunRecord, "outcome" | "error" | "items" | "result"> => {
  const phased = (isRecord(result) ? result : {}) as PhasedResult;
  const phase = typeof phased.phase === "string" ? phased.phase : undefined;
  const itemCount = phased.counts?.itemsBackedUp ?? phased.counts?.itemsRestored;
  const items = typeof itemCount === "number" ? { items: itemCount } : {};
  const base = { ...items, ...(result === undefined ? {} : { result }) };
  if (phase === "PartiallyFailed") return { outcome: "partially_failed", ...base };
  if (phase !== undefined && FAILED_PHASES.has(phase)) {
    return { outcome: "failed", error: `the run ended in phase ${phase}`, ...base };
  }
  return { outcome: "succeeded", ...base };
};

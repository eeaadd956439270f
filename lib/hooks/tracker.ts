/**
 * Counts a run's hooks as Velero's `HookTracker` does, for the `hookStatus` of its status: a hook is
 * attempted once it is due on a pod (also when an earlier `Fail` hook stops it from running), and
 * failed when it ran and failed. Each hook counts once, however often it is recorded.
 */

/** Velero's `status.hookStatus`. */
export interface HookStatus {
  readonly hooksAttempted: number;
  readonly hooksFailed: number;
}

/** What identifies one hook of a run. */
export interface HookKey {
  readonly namespace: string;
  readonly pod: string;
  readonly phase: string;
  /** `annotation` or `spec` (Velero's hook sources), or `function`. */
  readonly source: string;
  /** The spec hook's name; `""` for annotations. */
  readonly name: string;
  readonly container: string;
  readonly index: number;
}

export interface HookTracker {
  /** A hook is due: counted as attempted (once per key). */
  add(key: HookKey): void;
  /** A due hook ran: counted as failed when `failed` (once per key). */
  record(key: HookKey, failed: boolean): void;
  status(): HookStatus;
}

export const createHookTracker = (): HookTracker => {
  const state = new Map<string, "due" | "ran">();
  let attempted = 0;
  let failed = 0;
  const id = (k: HookKey) =>
    JSON.stringify([k.namespace, k.pod, k.phase, k.source, k.name, k.container, k.index]);
  return {
    add(key) {
      const k = id(key);
      if (state.has(k)) return;
      state.set(k, "due");
      attempted++;
    },
    record(key, hookFailed) {
      const k = id(key);
      if (state.get(k) === "ran") return;
      if (!state.has(k)) attempted++;
      state.set(k, "ran");
      if (hookFailed) failed++;
    },
    status: () => ({ hooksAttempted: attempted, hooksFailed: failed }),
  };
};

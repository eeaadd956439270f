/**
 * The restore hooks of one restore run. `preparePod` — the restore runs it as its item action
 * `velero.io/init-restore-hook` (Velero's name) — sees every pod the restore is about to create (only
 * pods in the restore's scope reach actions), adds the init-container hooks to it and notes its exec
 * hooks; when the restore reports the pod created,
 * the exec hooks start waiting for it (a pod that existed, was skipped or failed gets none). `finish()`
 * waits for them all: the restore's result is not returned before.
 */
import type { ExecOptions, ExecResult } from "../kube/exec-types.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { createRestoreExecHooks } from "./restore-exec.ts";
import { type PlannedExecHook, planExecHooks, withInitHooks } from "./restore-pod.ts";
import type { ResolvedResourceRestoreHook } from "./restore-spec.ts";
import type { HookStatus } from "./tracker.ts";

/** The restore hooks of one run. */
export interface RestoreHookRun {
  /**
   * A pod about to be created: returns it with its init-container hooks (undefined: none apply) and
   * notes its exec hooks. `log` names the pod.
   */
  preparePod(
    pod: KubeObject,
    log: { info(message: string): void; warn(message: string): void },
  ): KubeObject | undefined;
  /** The restore created `namespace/name` (a pod): its exec hooks start waiting for it. */
  created(pod: { readonly namespace: string; readonly name: string }): void;
  /** Waits for every started exec hook; AbortError when the restore was aborted. */
  finish(): Promise<void>;
  /** The restore stopped: fails the hooks still waiting and waits for running ones to end. Never rejects. */
  stop(): Promise<void>;
  /** Velero's `hookStatus` so far. */
  counts(): HookStatus;
}

/** Creates the restore hooks of one run (a dry run adds init containers to the plan and runs nothing). */
export const createRestoreHookRun = (deps: {
  readonly resources: readonly ResolvedResourceRestoreHook[];
  readonly log: RunLog;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  exec(options: ExecOptions): Promise<ExecResult>;
  listPods(namespace: string, signal: AbortSignal): Promise<KubeObject[]>;
  /** @default 500 */
  readonly pollIntervalMs?: number;
}): RestoreHookRun => {
  const { log } = deps;
  const planned = new Map<string, PlannedExecHook[]>();
  const exec = createRestoreExecHooks({
    exec: deps.exec,
    listPods: deps.listPods,
    log,
    signal: deps.signal,
    ...(deps.pollIntervalMs === undefined ? {} : { pollIntervalMs: deps.pollIntervalMs }),
  });
  const key = (namespace: string, name: string) => `${namespace}/${name}`;

  const preparePod: RestoreHookRun["preparePod"] = (item, itemLog) => {
    const namespace = item.metadata?.namespace ?? "";
    const name = item.metadata?.name ?? "";
    const hooks = planExecHooks(item, deps.resources, (message) => itemLog.warn(message));
    if (hooks.length > 0 && !deps.dryRun) planned.set(key(namespace, name), hooks);
    const init = withInitHooks(item, deps.resources);
    if (!init) return undefined;
    itemLog.info(`init container hooks added from the ${init.source}: ${init.added.join(", ")}`);
    return init.pod;
  };

  return {
    preparePod,
    created({ namespace, name }) {
      const hooks = planned.get(key(namespace, name));
      if (!hooks) return;
      planned.delete(key(namespace, name));
      exec.start({ namespace, name }, hooks);
    },
    finish: () => exec.finish(),
    stop: () => exec.stop(),
    counts: () => exec.counts(),
  };
};

/**
 * Post-restore exec hooks, Velero's way (`internal/hook/wait_exec_hook_handler.go`): once a restored pod
 * is created its hooks wait, watching the pod through the apiserver, until their container is running
 * (Ready, when any hook of that container has `waitForReady`), then run in order. A hook whose wait
 * timeout passes first, whose pod ends or goes away, or that is stopped by an earlier `onError: Fail`
 * failure, is a failed hook. As in Velero, every failed hook is an error of the restore (against the
 * pod's namespace: PartiallyFailed); `onError: Fail` also stops every hook not started yet. Every hook
 * counts in `hookStatus` (Velero's hook tracker). Commands run through the shared exec-hook runner.
 */
import { AbortError } from "../errors.ts";
import type { ExecOptions, ExecResult } from "../kube/exec-types.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { formatDuration } from "../util/duration.ts";
import { DEFAULT_HOOK_TIMEOUT_MS, describeHookCommand, HookCommandError, runExecHook } from "./exec-hook.ts";
import type { PlannedExecHook } from "./restore-pod.ts";
import { createPodObserver } from "./restore-pod-watch.ts";
import type { RestorePodHookContext } from "./restore-spec.ts";
import type { HookStatus } from "./tracker.ts";

/** What the exec hooks of a restore need from it. */
export interface RestoreExecHooksDeps {
  /** `cluster.exec`. */
  exec(options: ExecOptions): Promise<ExecResult>;
  /** The pods of `namespace` the restore created (those waited for are among them). */
  listPods(namespace: string, signal: AbortSignal): Promise<KubeObject[]>;
  readonly log: RunLog;
  /** The restore's signal: aborting stops every wait and hook. */
  readonly signal: AbortSignal;
  /** Pause between two looks at the pods waited for. @default 500 */
  readonly pollIntervalMs?: number;
}

/** The post-restore exec hooks of one restore. */
export interface RestoreExecHooks {
  /** Starts waiting for the hooks of a pod the restore created (returns at once). */
  start(pod: { readonly namespace: string; readonly name: string }, hooks: readonly PlannedExecHook[]): void;
  /** Resolves once every started hook has run or failed; rejects with AbortError when the restore was aborted. */
  finish(): Promise<void>;
  /**
   * The restore stopped (an abort, or a failure outside any item): hooks still waiting are failed as
   * not run, running ones are cancelled; resolves once all have ended. Never rejects.
   */
  stop(): Promise<void>;
  /** Hooks attempted and failed so far. */
  counts(): HookStatus;
}

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  state?: { running?: unknown };
}

/** Whether `container` is up for its hooks: Ready when one of them waits for ready, else running. */
const isUp = (pod: KubeObject, container: string, hooks: readonly PlannedExecHook[]): boolean => {
  const statuses = ((pod.status as { containerStatuses?: ContainerStatus[] } | undefined)
    ?.containerStatuses ?? []) as ContainerStatus[];
  const status = statuses.find((s) => s.name === container);
  if (!status) return false;
  return hooks.some((h) => h.waitForReady) ? status.ready === true : status.state?.running !== undefined;
};

/** Creates the exec-hook runner of one restore. */
export const createRestoreExecHooks = (deps: RestoreExecHooksDeps): RestoreExecHooks => {
  const { log } = deps;
  const halt = new AbortController();
  /** Aborted by the restore's signal or by `stop()`: ends every wait and running hook. */
  const signal = AbortSignal.any([deps.signal, halt.signal]);
  const stopReason = () => (deps.signal.aborted ? "the restore was aborted" : "the restore stopped");
  const pods = createPodObserver({ list: deps.listPods, intervalMs: deps.pollIntervalMs ?? 500, signal });
  const running = new Set<Promise<void>>();
  /** Set by the first `Fail` hook that fails: no hook that has not started runs after it. */
  let stoppedBy: string | undefined;
  let attempted = 0;
  let failed = 0;

  const fieldsOf = (ns: string, pod: string, hook: PlannedExecHook) => ({
    resource: "pods",
    namespace: ns,
    name: pod,
    hookName: hook.hookName,
    hookSource: hook.source,
    hookContainer: hook.container,
    hookType: "exec",
    hookPhase: "post",
  });

  /** Records a failed hook, an error of the restore; a `Fail` hook also stops every hook not started yet. */
  const fail = (ns: string, pod: string, hook: PlannedExecHook, reason: string) => {
    failed++;
    log.error(
      `post-restore exec hook ${hook.hookName} in container ${hook.container} of pod ${ns}/${pod} failed`,
      {
        ...fieldsOf(ns, pod, hook),
        error: reason,
      },
    );
    if (hook.onError === "Fail")
      stoppedBy ??= `hook ${hook.hookName} of pod ${ns}/${pod} failed with onError Fail`;
  };

  /** Runs one hook whose container is up; the reason it failed, or undefined. */
  const runHook = async (live: KubeObject, ns: string, pod: string, hook: PlannedExecHook) => {
    const fields = fieldsOf(ns, pod, hook);
    const timeout = formatDuration(hook.execTimeoutMs);
    const command = hook.command;
    if (typeof command !== "function") {
      log.info("running post-restore exec hook", { ...fields, hookTimeout: timeout });
      try {
        const outcome = await runExecHook(
          deps.exec,
          { namespace: ns, pod },
          { container: hook.container, command, onError: hook.onError, timeoutMs: hook.execTimeoutMs },
          signal,
        );
        if (outcome.failed) return outcome.error ?? "failed";
        log.info("post-restore exec hook completed", fields);
        return undefined;
      } catch {
        // runExecHook rethrows only when the signal fired
        return `stopped: ${stopReason()}`;
      }
    }
    log.info("running post-restore function hook", { ...fields, hookTimeout: timeout });
    const timer = new AbortController();
    const hookSignal = AbortSignal.any([signal, timer.signal]);
    const scoped = log.scoped(fields);
    const context: RestorePodHookContext = {
      pod: live,
      container: hook.container,
      signal: hookSignal,
      log: { info: scoped.info, warn: scoped.warn },
      // as a backup function hook's: a non-zero exit rejects (uncaught, the hook fails)
      exec: async (cmd, options = {}) => {
        const container = options.container ?? hook.container;
        const result = await deps.exec({
          namespace: ns,
          pod,
          container,
          command: cmd,
          timeoutMs: options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
          ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
          signal: hookSignal,
        });
        if (result.exitCode !== 0) {
          throw new HookCommandError(describeHookCommand({ namespace: ns, pod }, container, cmd), result);
        }
        return result;
      },
    };
    // the function is not waited for past its timeout or the restore's end (it cannot be killed)
    let handle: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    const cut = new Promise<string>((resolve) => {
      handle = setTimeout(() => {
        timer.abort(new Error(`hook ran longer than ${timeout}`));
        resolve(`timed out after ${timeout}`);
      }, hook.execTimeoutMs);
      onStop = () => resolve(`stopped: ${stopReason()}`);
      signal.addEventListener("abort", onStop, { once: true });
    });
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => command(context))
          .then(() => undefined),
        cut,
      ]);
      if (outcome === undefined) log.info("post-restore function hook completed", fields);
      return outcome;
    } catch (error) {
      if (signal.aborted) return `stopped: ${stopReason()}`;
      return error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(handle);
      if (onStop) signal.removeEventListener("abort", onStop);
    }
  };

  /** Waits for the containers of one pod and runs their hooks in order. */
  const runPod = async (ns: string, pod: string, hooks: readonly PlannedExecHook[]) => {
    const began = Date.now();
    const pending = new Map<string, PlannedExecHook[]>();
    for (const hook of hooks) pending.set(hook.container, [...(pending.get(hook.container) ?? []), hook]);
    const failAll = (reason: string) => {
      for (const list of pending.values()) for (const hook of list) fail(ns, pod, hook, reason);
      pending.clear();
    };
    let uid: string | undefined;
    /** The last error reading the pod, logged once and named if the hooks give up. */
    let readError: string | undefined;
    /** Gives up the hooks whose wait timeout passed while their container is not up. */
    const expire = (container: string, list: PlannedExecHook[]) => {
      const elapsed = Date.now() - began;
      const wanted = list.some((h) => h.waitForReady) ? "Ready" : "running";
      const kept = list.filter((hook) => {
        if (hook.waitTimeoutMs <= 0 || elapsed < hook.waitTimeoutMs) return true;
        const why = readError ? ` (reading the pod failed: ${readError})` : "";
        fail(
          ns,
          pod,
          hook,
          `container ${container} was not ${wanted} within the wait timeout of ${formatDuration(hook.waitTimeoutMs)}${why}`,
        );
        return false;
      });
      if (kept.length > 0) pending.set(container, kept);
      else pending.delete(container);
    };
    while (pending.size > 0) {
      if (signal.aborted) {
        failAll(`not run: ${stopReason()}`);
        return;
      }
      if (stoppedBy) {
        failAll(`not run: ${stoppedBy}`);
        return;
      }
      let live: KubeObject | undefined;
      try {
        live = await pods.observe(ns, pod);
      } catch (error) {
        if (signal.aborted) continue;
        const message = error instanceof Error ? error.message : String(error);
        if (readError === undefined) {
          log.info(`could not read pod ${ns}/${pod} while waiting for its hooks (retrying): ${message}`, {
            resource: "pods",
            namespace: ns,
            name: pod,
          });
        }
        readError = message;
        for (const [container, list] of [...pending]) expire(container, list);
        continue;
      }
      readError = undefined;
      if (!live || (uid !== undefined && live.metadata?.uid !== uid) || live.metadata?.deletionTimestamp) {
        failAll("not run: the pod was deleted before its hooks ran");
        return;
      }
      if (uid === undefined) {
        uid = live.metadata?.uid;
        const names = new Set(
          ((live.spec as { containers?: { name?: string }[] })?.containers ?? []).map((c) => c.name),
        );
        for (const [container, list] of pending) {
          if (names.has(container)) continue;
          for (const hook of list) fail(ns, pod, hook, `the pod has no container ${container}`);
          pending.delete(container);
        }
      }
      const phase = (live.status as { phase?: string } | undefined)?.phase;
      if (phase === "Succeeded" || phase === "Failed") {
        failAll(`not run: the pod entered phase ${phase} before its hooks ran`);
        return;
      }
      for (const [container, list] of [...pending]) {
        if (!isUp(live, container, list)) {
          expire(container, list);
          continue;
        }
        pending.delete(container);
        for (const [i, hook] of list.entries()) {
          if (signal.aborted || stoppedBy) {
            const why = signal.aborted ? stopReason() : stoppedBy;
            for (const rest of list.slice(i)) fail(ns, pod, rest, `not run: ${why}`);
            break;
          }
          if (hook.waitTimeoutMs > 0 && Date.now() - began > hook.waitTimeoutMs) {
            fail(
              ns,
              pod,
              hook,
              `expired before it could run: wait timeout ${formatDuration(hook.waitTimeoutMs)}`,
            );
            continue;
          }
          const reason = await runHook(live, ns, pod, hook);
          if (reason !== undefined) fail(ns, pod, hook, reason);
        }
      }
    }
  };

  return {
    start(pod, hooks) {
      if (hooks.length === 0) return;
      attempted += hooks.length;
      const task = runPod(pod.namespace, pod.name, hooks).catch((error: unknown) => {
        // runPod ends its hooks itself and does not throw: what gets here is a bug worth a line
        if (!signal.aborted)
          log.error(`post-restore hooks of pod ${pod.namespace}/${pod.name}: ${String(error)}`, {
            resource: "pods",
            namespace: pod.namespace,
            name: pod.name,
          });
      });
      running.add(task);
      void task.finally(() => running.delete(task));
    },
    async stop() {
      halt.abort();
      while (running.size > 0) await Promise.all([...running]);
    },
    async finish() {
      if (running.size > 0) log.info(`waiting for the post-restore exec hooks of ${running.size} pod(s)`);
      while (running.size > 0) await Promise.all([...running]);
      if (deps.signal.aborted) throw new AbortError("the restore was aborted", { cause: deps.signal.reason });
    },
    counts: () => ({ hooksAttempted: attempted, hooksFailed: failed }),
  };
};

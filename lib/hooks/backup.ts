/**
 * Backup hooks on pods, with Velero's semantics (`internal/hook/item_hook_handler.go`): per phase, a
 * pod's hook annotations win over the spec's hooks; spec hooks run in order for every hook spec that
 * applies to the pod, and after a failed `Fail` hook the rest are counted but not run. A failed pre
 * hook in `Fail` mode keeps the pod from being backed up (its error is recorded under its namespace);
 * `Continue` failures are errors too, as in Velero (the run ends PartiallyFailed), but the pod is still
 * backed up. Post hooks run once the pod's items and pod-volume backups are
 * done — also when those failed, and when the run was cancelled (they are bounded by their timeouts).
 */
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { formatDuration } from "../util/duration.ts";
import { annotationHook } from "./annotations.ts";
import {
  appliesToPod,
  type PodHookContext,
  type PodHookFunction,
  type ResolvedHookEntry,
  type ResolvedResourceHook,
} from "./backup-spec.ts";
import {
  DEFAULT_HOOK_TIMEOUT_MS,
  describeHookCommand,
  HookCommandError,
  type HookErrorMode,
  type HookOutcome,
  type PodExec,
  type ResolvedExecHook,
  runExecHook,
} from "./exec-hook.ts";
import { createHookTracker, type HookKey, type HookStatus } from "./tracker.ts";

export type HookPhase = "pre" | "post";

/** The hooks of one backup run. */
export interface BackupHookRunner {
  /**
   * Runs `pod`'s pre hooks. `false` when a `Fail` hook failed: the pod is not to be backed up (the
   * error is logged). Throws only when the run was cancelled.
   */
  pre(pod: KubeObject): Promise<boolean>;
  /** Runs `pod`'s post hooks once `after` (its items and pod-volume backups) has settled. */
  post(pod: KubeObject, after: Promise<unknown>): void;
  /** Waits for every post hook started so far. */
  finish(): Promise<void>;
  /** `hookStatus`: hooks attempted and failed so far. */
  status(): HookStatus;
}

/** At most this much of a hook's stdout and stderr goes to the log. */
const LOGGED_OUTPUT = 4096;

const clip = (text: string): string =>
  text.length > LOGGED_OUTPUT
    ? `${text.slice(0, LOGGED_OUTPUT)}… (${text.length - LOGGED_OUTPUT} more characters)`
    : text;

/** The pod's container to run a hook in: `wanted`, else its first container (Velero's default). */
const hookContainer = (pod: KubeObject, wanted: string): { container: string } | { problem: string } => {
  const spec = (pod.spec ?? {}) as {
    containers?: { name?: string }[];
    initContainers?: { name?: string; restartPolicy?: string }[];
  };
  const containers = (spec.containers ?? []).map((c) => c.name ?? "");
  const podName = `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
  if (!wanted) {
    const first = containers[0];
    return first ? { container: first } : { problem: `pod ${podName} has no containers to run the hook in` };
  }
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name);
  if (containers.includes(wanted) || sidecars.includes(wanted)) return { container: wanted };
  return {
    problem: `pod ${podName} has no container "${wanted}" to run the hook in (containers: ${containers.join(", ") || "none"}); fix the hook's container`,
  };
};

/** Creates the hook runner of one backup: `resources` are the resolved `hooks.resources`. */
export const createBackupHookRunner = (deps: {
  readonly exec: PodExec;
  readonly log: RunLog;
  readonly resources: readonly ResolvedResourceHook[];
  /** The run's signal: cancels pre hooks (post hooks run regardless). */
  readonly signal: AbortSignal;
}): BackupHookRunner => {
  const { exec, log } = deps;
  const tracker = createHookTracker();
  const pending: Promise<void>[] = [];
  const never = new AbortController().signal;

  /** Runs one hook and records it; the outcome's error when it failed. */
  const runOne = async (
    pod: KubeObject,
    key: HookKey,
    hook:
      | { kind: "exec"; exec: ResolvedExecHook }
      | { kind: "function"; run: PodHookFunction }
      | { kind: "bad"; problem: string; onError: HookErrorMode },
    signal: AbortSignal | undefined,
  ): Promise<{ failed: boolean; error?: string; onError: HookErrorMode }> => {
    const target = { namespace: key.namespace, pod: key.pod };
    const base = {
      resource: "pods",
      namespace: key.namespace,
      name: key.pod,
      hookSource: key.source,
      hookType: hook.kind === "function" ? "function" : "exec",
      hookPhase: key.phase,
      hookName: key.name || "<from-annotation>",
    };
    const onError: HookErrorMode =
      hook.kind === "exec" ? hook.exec.onError : hook.kind === "bad" ? hook.onError : "Fail";
    const podPhase = (pod.status as { phase?: string } | undefined)?.phase;
    let outcome: HookOutcome;
    if (podPhase === "Succeeded" || podPhase === "Failed") {
      log.info(`Pod entered phase ${podPhase} before some ${key.phase}-backup hooks ran`, base);
      tracker.record(key, false);
      return { failed: false, onError };
    }
    if (hook.kind === "bad") {
      outcome = { failed: true, error: hook.problem, timedOut: false };
    } else if (hook.kind === "exec") {
      const fields = {
        ...base,
        hookContainer: hook.exec.container,
        hookCommand: hook.exec.command,
        hookOnError: hook.exec.onError,
        hookTimeout: formatDuration(hook.exec.timeoutMs || DEFAULT_HOOK_TIMEOUT_MS),
      };
      log.info("running exec hook", fields);
      outcome = await runExecHook(exec, target, hook.exec, signal);
      if (outcome.result) {
        log.info(`stdout: ${clip(outcome.result.stdout)}`, fields);
        log.info(`stderr: ${clip(outcome.result.stderr)}`, fields);
      }
    } else {
      log.info("running function hook", base);
      outcome = await runFunction(pod, hook.run, signal);
    }
    tracker.record(key, outcome.failed);
    if (outcome.failed) {
      // as Velero: every failed hook is an error of the run (PartiallyFailed); `Continue` only means the
      // pod's other hooks and its backup go on
      log.error("Error executing hook", { ...base, error: outcome.error });
    }
    return { failed: outcome.failed, ...(outcome.error ? { error: outcome.error } : {}), onError };
  };

  const runFunction = async (
    pod: KubeObject,
    run: PodHookFunction,
    signal: AbortSignal | undefined,
  ): Promise<HookOutcome> => {
    const namespace = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    const context: PodHookContext = {
      pod,
      signal: signal ?? never,
      exec: async (command, options = {}) => {
        const chosen = hookContainer(pod, options.container ?? "");
        if ("problem" in chosen) throw new Error(chosen.problem);
        const result = await exec({
          namespace,
          pod: name,
          container: chosen.container,
          command,
          timeoutMs: options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
          ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
          ...(signal ? { signal } : {}),
        });
        if (result.exitCode !== 0) {
          throw new HookCommandError(
            describeHookCommand({ namespace, pod: name }, chosen.container, command),
            result,
          );
        }
        return result;
      },
    };
    try {
      await run(context);
      return { failed: false, timedOut: false };
    } catch (error) {
      if (signal?.aborted) throw error;
      return {
        failed: true,
        error: `function hook on pod ${namespace}/${name} failed: ${(error as Error)?.message ?? String(error)}`,
        timedOut: false,
      };
    }
  };

  /** Runs `pod`'s hooks of `phase`; the error of a failed `Fail` hook, if any. */
  const runPhase = async (
    pod: KubeObject,
    phase: HookPhase,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> => {
    const namespace = pod.metadata?.namespace ?? "";
    const podName = pod.metadata?.name ?? "";
    const fromAnnotations =
      annotationHook(pod, phase, "backup") ??
      (phase === "pre" ? annotationHook(pod, "", "backup") : undefined);
    if (fromAnnotations) {
      const chosen = hookContainer(pod, fromAnnotations.container);
      const container = "container" in chosen ? chosen.container : fromAnnotations.container;
      const key: HookKey = {
        namespace,
        pod: podName,
        phase,
        source: "annotation",
        name: "",
        container,
        index: 0,
      };
      tracker.add(key);
      const problems = [...fromAnnotations.problems, ...("problem" in chosen ? [chosen.problem] : [])];
      const ran = await runOne(
        pod,
        key,
        fromAnnotations.hook && problems.length === 0
          ? { kind: "exec", exec: { ...fromAnnotations.hook, container } }
          : { kind: "bad", problem: problems.join("; "), onError: fromAnnotations.onError },
        signal,
      );
      return ran.failed && ran.onError === "Fail" ? ran.error : undefined;
    }
    const labels = pod.metadata?.labels ?? {};
    let failure: string | undefined;
    for (const spec of deps.resources) {
      if (!appliesToPod(spec, namespace, labels)) continue;
      const entries: readonly ResolvedHookEntry[] = phase === "pre" ? spec.pre : spec.post;
      for (const [index, entry] of entries.entries()) {
        const chosen = entry.kind === "exec" ? hookContainer(pod, entry.container) : { container: "" };
        const container =
          "container" in chosen ? chosen.container : entry.kind === "exec" ? entry.container : "";
        const key: HookKey = {
          namespace,
          pod: podName,
          phase,
          source: "spec",
          name: spec.name,
          container,
          index,
        };
        tracker.add(key);
        // after a failed Fail hook the remaining ones are counted, not run (Velero's rule)
        if (failure !== undefined) continue;
        const ran = await runOne(
          pod,
          key,
          entry.kind === "function"
            ? entry
            : "problem" in chosen
              ? { kind: "bad", problem: chosen.problem, onError: entry.onError }
              : { kind: "exec", exec: { ...entry, container } },
          signal,
        );
        if (ran.failed && ran.onError === "Fail") failure = ran.error;
      }
    }
    return failure;
  };

  return {
    async pre(pod) {
      const error = await runPhase(pod, "pre", deps.signal);
      if (error === undefined) return true;
      log.error("Error running pre hooks for pod", {
        resource: "pods",
        namespace: pod.metadata?.namespace,
        name: pod.metadata?.name,
        error,
      });
      return false;
    },
    post(pod, after) {
      const task = (async () => {
        await after.catch(() => undefined);
        try {
          const error = await runPhase(pod, "post", undefined);
          if (error !== undefined) {
            log.error("Error running post hooks for pod", {
              resource: "pods",
              namespace: pod.metadata?.namespace,
              name: pod.metadata?.name,
              error,
            });
          }
        } catch (error) {
          log.error("Error running post hooks for pod", {
            resource: "pods",
            namespace: pod.metadata?.namespace,
            name: pod.metadata?.name,
            error: (error as Error).message,
          });
        }
      })();
      pending.push(task);
    },
    async finish() {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
    status: () => tracker.status(),
  };
};

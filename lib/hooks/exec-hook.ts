/**
 * Runs one exec hook in a pod and turns what happened into an outcome: Velero's `ExecutePodCommand`
 * rules (a non-zero exit, a command that could not be started and a timeout all fail the hook; the
 * timeout stops the command) without deciding what a failure means for the run — the caller reads
 * `onError`. Shared by backup and restore hooks.
 */
import { StowageError } from "../errors.ts";
import { ExecError, type ExecOptions, type ExecResult, ExecTimeoutError } from "../kube/exec-types.ts";
import { formatDuration } from "../util/duration.ts";

/** Runs a command in a pod: `cluster.exec`, given as a dependency. */
export type PodExec = (options: ExecOptions) => Promise<ExecResult>;

/** Velero's `HookErrorMode`: `Fail` fails the pod's items, `Continue` records the failure and goes on. */
export type HookErrorMode = "Continue" | "Fail";

/** Velero's default exec hook timeout (`pkg/podexec`): 30 seconds. */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

/** One exec hook with every default applied. */
export interface ResolvedExecHook {
  readonly container: string;
  readonly command: readonly string[];
  readonly onError: HookErrorMode;
  /** 0 means Velero's default (30 s). */
  readonly timeoutMs: number;
}

/** How one hook went. */
export interface HookOutcome {
  readonly failed: boolean;
  /** Why it failed (exit code and the end of stderr, the timeout, or why it could not run). */
  readonly error?: string;
  /** Whether it ran longer than its timeout and was stopped. */
  readonly timedOut: boolean;
  /** What the command gave back, when it ran to its end. */
  readonly result?: ExecResult;
}

/**
 * A hook command exited with a non-zero code. Thrown by the `exec` a function hook gets, so a hook
 * that does not catch it fails.
 */
export class HookCommandError extends StowageError {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(what: string, result: ExecResult) {
    super("ERR_EXEC", `${what} exited with code ${result.exitCode}${tail(result.stderr)}`);
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

/** `: <last line(s) of stderr>` for messages, at most 300 characters; empty when there is none. */
const tail = (stderr: string): string => {
  const text = stderr.trim();
  if (!text) return "";
  return `: ${text.length > 300 ? `…${text.slice(-300)}` : text}`;
};

/** `command ["sh","-c","…"] in container app of pod shop/db-0`, for messages. */
export const describeHookCommand = (
  target: { readonly namespace: string; readonly pod: string },
  container: string,
  command: readonly string[],
): string =>
  `command ${JSON.stringify(command)} in container ${container} of pod ${target.namespace}/${target.pod}`;

/**
 * Runs `hook` in `target` through `exec`, stopping it after its timeout (default 30 s). Never throws
 * for a failed hook; rethrows only when `signal` aborted the run.
 */
export const runExecHook = async (
  exec: PodExec,
  target: { readonly namespace: string; readonly pod: string },
  hook: ResolvedExecHook,
  signal?: AbortSignal,
): Promise<HookOutcome> => {
  const timeoutMs = hook.timeoutMs > 0 ? hook.timeoutMs : DEFAULT_HOOK_TIMEOUT_MS;
  const what = describeHookCommand(target, hook.container, hook.command);
  try {
    const result = await exec({
      namespace: target.namespace,
      pod: target.pod,
      container: hook.container,
      command: hook.command,
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (result.exitCode !== 0) {
      return { failed: true, error: new HookCommandError(what, result).message, timedOut: false, result };
    }
    return { failed: false, timedOut: false, result };
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof ExecTimeoutError) {
      return {
        failed: true,
        error: `${what} timed out after ${formatDuration(timeoutMs)} and was stopped`,
        timedOut: true,
      };
    }
    if (error instanceof ExecError) return { failed: true, error: error.message, timedOut: false };
    return { failed: true, error: `${what} could not run: ${(error as Error).message}`, timedOut: false };
  }
};

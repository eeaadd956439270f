/**
 * Run-level hooks: your code once `before` and once `after` a whole backup or restore, with
 * try/finally semantics, and a restore's `verify`. The engines call {@link withRunHooks} around their
 * run and open its gate ({@link RunHookGate.before}) at the last moment before the run writes anything
 * to the store: past that point `after` runs whatever happens.
 */
import { AbortError, describeValue, isStowageError, StowageError, ValidationError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import type { RunLog } from "../log/run-log.ts";

/** What a run-level hook gets: the run's cluster, name, options and signal. */
export interface RunHookContext<Options> {
  /** The cluster the run works on. */
  readonly cluster: Cluster;
  /** The backup's name, or the restore's (generated names resolved). */
  readonly name: string;
  /** The options the run was called with. */
  readonly options: Options;
  /**
   * For `before`: the run's signal. For `after`: its own, which aborts `afterGraceMs` after the run's
   * caller aborted (so cleanup still gets to run after an abort, for a while).
   */
  readonly signal: AbortSignal;
}

/** What `after` gets: the context `before` got, and the run's result, or the error it threw. */
export type AfterHookContext<Context, RunResult> = Context &
  (
    | { readonly result: RunResult; readonly error?: undefined }
    | { readonly result?: undefined; readonly error: unknown }
  );

/**
 * Your code once before and once after a whole run (Velero issue #3542), with try/finally semantics:
 * `before` runs once the run's options, name and locations have been checked, before the run writes
 * anything to the store; when it throws, the run does not happen (nothing is written) and
 * {@link RunHookError} says so. Once `before` succeeded (or when there is none, once the run got that
 * far), `after` runs whatever the outcome: Completed, PartiallyFailed, a thrown error, an abort.
 * Neither runs in a dry run.
 *
 * The run's record is written before `after` runs, so `after` cannot change it: when `after` throws, the
 * run's result is still returned, with `runHooks.after` saying why, its message added to
 * `errors.velero`, `counts.errors` one higher and `phase` PartiallyFailed (the stored record keeps its
 * own phase); when the run threw too, its error is thrown, with the same code and `after`'s failure
 * added to the message.
 */
export interface RunHooks<Context, RunResult> {
  /** Runs once before the run writes anything. Throw to stop the run. @default none */
  readonly before?: (context: Context) => unknown;
  /** Runs once after the run, whatever its outcome, when `before` succeeded. @default none */
  readonly after?: (context: AfterHookContext<Context, RunResult>) => unknown;
  /**
   * How long `after` may still take once the run's caller aborted (its `signal`): then `after`'s own
   * signal aborts, and the run stops waiting for it and counts it failed.
   * @default 30000 (30 s)
   */
  readonly afterGraceMs?: number;
}

/** How one hook went. */
export interface HookOutcome {
  /** Whether it finished without throwing (for `verify`: and found no problem). */
  readonly ok: boolean;
  readonly durationMs: number;
  /** What it threw (its message), when it did. */
  readonly error?: string;
}

/** What the run-level hooks did (a hook that was not given has no entry). */
export interface RunHooksReport {
  readonly before?: HookOutcome;
  readonly after?: HookOutcome;
}

/** A run-level hook failed: `before` threw, so the run did not happen. */
export class RunHookError extends StowageError {
  /** Which hook failed. */
  readonly hook: "before" | "after";
  constructor(hook: "before" | "after", message: string, options?: { cause?: unknown }) {
    super("ERR_HOOK", message, options);
    this.hook = hook;
  }
}

/** What the engine hands the gate about its run. */
export interface RunHookGate<Context> {
  /**
   * Runs `before` with `context`: call it once every check passed, before the run writes anything to
   * the store (`where`). Throws {@link RunHookError} (or `AbortError`) when `before` failed; once this
   * has been reached, `after` runs whatever the run's outcome.
   */
  before(context: Context, run: { readonly subject: string; readonly where: string }): Promise<void>;
  /** Writes what the hooks did so far into the run's log (call once the log exists). */
  log(log: RunLog): void;
}

/** The result shape both runs share, which a failed `after` is added to. */
interface HookedResult {
  readonly phase: string;
  readonly counts: { readonly errors: number };
  /** Errors by scope, as in `-results.gz` (only `velero` is added to). */
  readonly errors: { readonly velero?: string[] };
  readonly runHooks?: RunHooksReport;
}

const DEFAULT_AFTER_GRACE_MS = 30_000;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const elapsed = (since: number): number => Math.round(performance.now() - since);

/** The hook options' problems (not functions, a bad grace), for the run's ValidationError. */
const runHookProblems = (
  hooks: RunHooks<never, never> | undefined,
  extra: Readonly<Record<string, unknown>> = {},
): string[] => {
  const problems: string[] = [];
  if (hooks !== undefined && (typeof hooks !== "object" || hooks === null)) {
    return [`hooks must be an object ({ before, after }), got ${describeValue(hooks)}`];
  }
  const fns: Record<string, unknown> = {
    "hooks.before": hooks?.before,
    "hooks.after": hooks?.after,
    ...extra,
  };
  for (const [name, fn] of Object.entries(fns)) {
    if (fn !== undefined && typeof fn !== "function") {
      problems.push(`${name} must be a function (async (context) => …), got ${describeValue(fn)}`);
    }
  }
  const grace = hooks?.afterGraceMs;
  if (grace !== undefined && !(typeof grace === "number" && Number.isFinite(grace) && grace > 0)) {
    problems.push(
      `hooks.afterGraceMs must be a positive number of milliseconds, got ${describeValue(grace)}`,
    );
  }
  return problems;
};

/** Checks the run-level hook options (and `extra` functions, e.g. `verify`); throws one ValidationError. */
export const checkRunHooks = (
  hooks: RunHooks<never, never> | undefined,
  extra: Readonly<Record<string, unknown>> = {},
): void => {
  const problems = runHookProblems(hooks, extra);
  if (problems.length > 0) throw new ValidationError(problems, "hooks");
};

/**
 * Runs `after` with its own signal, which aborts `graceMs` after `callerSignal` does; stops waiting for
 * it then. Never throws: the outcome says how it went.
 */
const runAfter = async <Context extends { readonly signal: AbortSignal }, RunResult>(
  after: NonNullable<RunHooks<Context, RunResult>["after"]>,
  context: Context,
  outcome: { readonly result: RunResult } | { readonly error: unknown },
  callerSignal: AbortSignal | undefined,
  graceMs: number,
): Promise<HookOutcome> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let startGrace = () => {};
  const graceOver = new Promise<"grace">((resolve) => {
    startGrace = () => {
      timer = setTimeout(() => {
        resolve("grace"); // first: a hook that ends on its abort still did not finish in time
        controller.abort(
          new AbortError(
            `hooks.after had ${graceMs} ms after the run was aborted (afterGraceMs) and is stopped`,
          ),
        );
      }, graceMs);
    };
  });
  if (callerSignal?.aborted) startGrace();
  else callerSignal?.addEventListener("abort", startGrace, { once: true });
  const started = performance.now();
  try {
    const hook = Promise.resolve().then(() =>
      after({ ...context, ...outcome, signal: controller.signal } as AfterHookContext<Context, RunResult>),
    );
    hook.catch(() => undefined); // awaited below; after the grace, nobody waits for it
    const settled = await Promise.race([hook.then(() => "done" as const), graceOver]);
    if (settled === "grace") {
      return {
        ok: false,
        durationMs: elapsed(started),
        error: `did not finish within ${graceMs} ms of the abort (afterGraceMs): its signal was aborted and the run stopped waiting for it`,
      };
    }
    return { ok: true, durationMs: elapsed(started) };
  } catch (error) {
    return { ok: false, durationMs: elapsed(started), error: messageOf(error) };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener("abort", startGrace);
  }
};

/**
 * Runs `run` between the run-level hooks. `run` opens the gate ({@link RunHookGate.before}) once its
 * checks passed; a run that throws before that (bad options, a name that exists) or never opens it (a
 * dry run) runs no hook. Returns the run's result with `runHooks` (when hooks were given), a failed
 * `after` added as an error; throws what the run threw.
 */
export const withRunHooks = async <Context extends { readonly signal: AbortSignal }, R extends HookedResult>(
  hooks: RunHooks<Context, R> | undefined,
  callerSignal: AbortSignal | undefined,
  run: (gate: RunHookGate<Context>) => Promise<R>,
): Promise<R> => {
  const { before, after } = hooks ?? {};
  const report: { before?: HookOutcome; after?: HookOutcome } = {};
  let opened: Context | undefined;
  let subject = "the run";
  const gate: RunHookGate<Context> = {
    async before(context, at) {
      subject = at.subject;
      if (before) {
        const started = performance.now();
        try {
          await before(context);
        } catch (error) {
          if (context.signal.aborted) {
            throw new AbortError(
              `${subject} was aborted while its hooks.before ran (${messageOf(error)}): nothing was written to ${at.where}, and hooks.after did not run`,
              { cause: error },
            );
          }
          throw new RunHookError(
            "before",
            `${subject} did not run: its hooks.before failed: ${messageOf(error)}. Nothing was written to ${at.where}, and hooks.after did not run; fix what the hook checks (or the hook), then run again`,
            { cause: error },
          );
        }
        report.before = { ok: true, durationMs: elapsed(started) };
      }
      opened = context;
      if (context.signal.aborted) {
        throw new AbortError(`${subject} was aborted (after its hooks.before ran): nothing was written`, {
          cause: context.signal.reason,
        });
      }
    },
    log(log) {
      if (report.before) {
        log.info("run hook before succeeded", { hook: "before", durationMs: report.before.durationMs });
      }
    },
  };
  if (!before && !after) return run(gate);

  const graceMs = hooks?.afterGraceMs ?? DEFAULT_AFTER_GRACE_MS;
  let result: R;
  try {
    result = await run(gate);
  } catch (error) {
    if (opened === undefined || !after) throw error;
    const outcome = await runAfter(after, opened, { error }, callerSignal, graceMs);
    if (outcome.ok) throw error;
    throw new StowageError(
      isStowageError(error) ? error.code : "ERR_HOOK",
      `${messageOf(error)}; and then its hooks.after failed too: ${outcome.error}`,
      { cause: error },
    );
  }
  if (opened === undefined) return result;
  if (!after) return { ...result, runHooks: { ...report } };
  report.after = await runAfter(after, opened, { result }, callerSignal, graceMs);
  if (report.after.ok) return { ...result, runHooks: { ...report } };
  const line = `hooks.after failed: ${report.after.error}`;
  return {
    ...result,
    phase: "PartiallyFailed",
    counts: { ...result.counts, errors: result.counts.errors + 1 },
    errors: { ...result.errors, velero: [...(result.errors.velero ?? []), line] },
    runHooks: { ...report },
  };
};

/**
 * A restore's check of what it restored (Velero issue #1688): return nothing when all is well, or the
 * problems found (each becomes an error of the restore); a throw is one problem too.
 */
export type VerifyRestore<RunResult> = (context: {
  /** The cluster restored into. */
  readonly cluster: Cluster;
  /** The restore's result so far (phase and counts before verification; `plan` lists every object). */
  readonly result: RunResult;
  /** The restore's signal. */
  readonly signal: AbortSignal;
  // biome-ignore lint/suspicious/noConfusingVoidType: an `async () => {}` that finds nothing wrong gives Promise<void>
}) => void | readonly string[] | Promise<void | readonly string[]>;

/** How `verify` went: `ok` when it neither threw nor returned problems. */
export interface VerifyOutcome extends HookOutcome {
  /** The problems it returned, or its thrown error's message. */
  readonly problems: readonly string[];
}

/**
 * Runs a restore's `verify` and writes its outcome into the restore's log (each problem an error line,
 * scope velero, so the restore ends PartiallyFailed). Throws only when the restore was aborted.
 */
export const runVerify = async <RunResult>(
  verify: VerifyRestore<RunResult>,
  context: Parameters<VerifyRestore<RunResult>>[0],
  log: RunLog,
): Promise<VerifyOutcome> => {
  const started = performance.now();
  let problems: string[];
  let error: string | undefined;
  try {
    const returned: unknown = await verify(context);
    if (returned === undefined) problems = [];
    else if (Array.isArray(returned))
      problems = returned.map((p) => (typeof p === "string" ? p : describeValue(p)));
    else {
      problems = [
        `verify returned ${describeValue(returned)}: return nothing when the restore is good, or a list of the problems found`,
      ];
    }
  } catch (thrown) {
    if (context.signal.aborted) throw thrown;
    error = messageOf(thrown);
    problems = [error];
  }
  const durationMs = elapsed(started);
  if (error !== undefined) log.error(`verify failed: ${error}`, { scope: "velero", hook: "verify" });
  else for (const problem of problems) log.error(`verify: ${problem}`, { scope: "velero", hook: "verify" });
  if (problems.length === 0) log.info("verify passed", { hook: "verify", durationMs });
  return { ok: problems.length === 0, durationMs, problems, ...(error === undefined ? {} : { error }) };
};

/**
 * Keeps users' scripts from ending the runner with `process.exit()`. Scripts run inside the runner's
 * process (their schedules are closures the runner calls), so a script's exit would end every schedule:
 * an example script copied into the scripts directory calls `process.exit(2)` on its usage error.
 *
 * While the guard is installed, `process.exit` called from script code throws a {@link ScriptExitError}
 * instead of exiting. "Script code" is what runs inside {@link asScript}: the loader imports each script
 * inside it and the runner starts each schedule inside it, so the check follows the script's async work
 * (top-level await, the run function, its awaited promises) through AsyncLocalStorage. The throw unwinds
 * the script the way an exit would: an import that exits fails that script's load, a run that exits
 * fails that run. Everything else (the runner's own shutdown, the CLI) exits as usual. An exit from a
 * detached callback of a script (a timer, a promise nobody awaits) cannot fail anything: it is reported
 * and refused too, and the process goes on.
 *
 * Loading scripts in a worker or a child process would isolate them further, but a schedule's `run` is
 * a function the runner must call in its own process (it gets an AbortSignal, returns a backup result):
 * the guard keeps that model and costs nothing per run.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { EventEmitter } from "node:events";

/** What `process.exit()` throws when a script calls it under the guard. */
export class ScriptExitError extends Error {
  /** The exit code the script asked for. */
  readonly code: string | number | null | undefined;
  constructor(who: string, code: string | number | null | undefined) {
    super(
      `${who} called process.exit(${code ?? ""}): a runner script must not end the process (throw an error instead, or set process.exitCode when run on its own); the call was refused`,
    );
    this.name = "ScriptExitError";
    this.code = code;
  }
}

const context = new AsyncLocalStorage<string>();
let installs = 0;
let originalExit: typeof process.exit | undefined;
/** Who hears of a refused exit that nobody caught (the newest install's reporter). */
const reporters: ((error: ScriptExitError) => void)[] = [];
const FAILURE_EVENTS = ["uncaughtException", "unhandledRejection"] as const;
/** `process` as a plain emitter: its failure events' listeners are handled alike here. */
const events: EventEmitter = process;
type FailureListener = (error: unknown, ...rest: unknown[]) => void;
let wrapped = new Map<string, { original: FailureListener[]; wrapper: FailureListener }>();

/**
 * The process's failure listeners (the CLI's: print one line, exit 1) are wrapped while the guard is
 * installed. A refused exit thrown from a script's detached callback (a timer, a promise nobody awaits)
 * reaches them uncaught: it is reported instead, and the process goes on. Any other failure goes to
 * the original listeners outside every script's context, so their own process.exit still works. With
 * no listener (Node's default crash) nothing is wrapped.
 */
const wrapFailureListeners = () => {
  wrapped = new Map();
  for (const event of FAILURE_EVENTS) {
    const original = events.listeners(event) as FailureListener[];
    if (original.length === 0) continue;
    const wrapper: FailureListener = (error, ...rest) => {
      if (error instanceof ScriptExitError) {
        const report = reporters.at(-1);
        if (report) report(error);
        else process.stderr.write(`stowage: ${error.message}\n`);
        return;
      }
      context.exit(() => {
        for (const listener of original) listener(error, ...rest);
      });
    };
    events.removeAllListeners(event);
    events.on(event, wrapper);
    wrapped.set(event, { original, wrapper });
  }
};

const unwrapFailureListeners = () => {
  for (const [event, { original, wrapper }] of wrapped) {
    events.removeListener(event, wrapper);
    for (const listener of original) events.on(event, listener);
  }
  wrapped = new Map();
};

/**
 * Installs the guard (counted: every call needs its own release). `onRefused` hears of exits refused
 * in a script's detached callbacks, which no script code could catch (default: a line on stderr).
 * Returns the function that removes the guard again; `process.exit` and the failure listeners are the
 * original ones once the last holder released it.
 */
export const installExitGuard = (onRefused?: (error: ScriptExitError) => void): (() => void) => {
  if (installs++ === 0) {
    const exit = process.exit;
    originalExit = exit;
    process.exit = ((code?: string | number | null) => {
      const who = context.getStore();
      if (who !== undefined) throw new ScriptExitError(who, code);
      return exit.call(process, code);
    }) as typeof process.exit;
    wrapFailureListeners();
  }
  if (onRefused) reporters.push(onRefused);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (onRefused) reporters.splice(reporters.lastIndexOf(onRefused), 1);
    if (--installs === 0 && originalExit) {
      process.exit = originalExit;
      originalExit = undefined;
      unwrapFailureListeners();
    }
  };
};

/** Runs `body` as code of `who` (e.g. `script /scripts/a.ts`): its `process.exit` calls throw. */
export const asScript = <T>(who: string, body: () => T): T => context.run(who, body);

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
 * fails that run. Everything else (the runner's own shutdown, the CLI) exits as usual.
 *
 * Loading scripts in a worker or a child process would isolate them further, but a schedule's `run` is
 * a function the runner must call in its own process (it gets an AbortSignal, returns a backup result):
 * the guard keeps that model and costs nothing per run.
 */
import { AsyncLocalStorage } from "node:async_hooks";

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

/**
 * Installs the guard (counted: every call needs its own release). Returns the function that removes
 * it again; `process.exit` is the original once the last holder released it.
 */
export const installExitGuard = (): (() => void) => {
  if (installs++ === 0) {
    const exit = process.exit;
    originalExit = exit;
    process.exit = ((code?: string | number | null) => {
      const who = context.getStore();
      if (who !== undefined) throw new ScriptExitError(who, code);
      return exit.call(process, code);
    }) as typeof process.exit;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--installs === 0 && originalExit) {
      process.exit = originalExit;
      originalExit = undefined;
    }
  };
};

/** Runs `body` as code of `who` (e.g. `script /scripts/a.ts`): its `process.exit` calls throw. */
export const asScript = <T>(who: string, body: () => T): T => context.run(who, body);

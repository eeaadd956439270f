/**
 * CLI errors and how they are shown: usage errors exit 2 with a hint to run `--help`, everything else
 * exits 1 with the error's own message (Stowage's errors already say what to do). Stack traces only
 * with STOWAGE_DEBUG=1.
 */
import type { Writable } from "node:stream";

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line the CLI cannot run: unknown command or flag, missing argument, bad flag value. */
export class UsageError extends Error {
  /** Command words the hint points at (`["backup", "create"]`); empty for the root. */
  readonly command: readonly string[];

  constructor(message: string, command: readonly string[] = []) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** An operation the CLI itself decided failed (a file that exists, a backup that is missing). */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
  }
}

/** The `run "stowage … --help"` hint for a usage error. */
export const usageHint = (command: readonly string[]): string =>
  `run "stowage ${[...command, "--help"].join(" ")}" for usage`;

const debugEnabled = (env: NodeJS.ProcessEnv): boolean => env.STOWAGE_DEBUG === "1";

/** The message of anything thrown, without a stack. */
export const messageOf = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
};

/**
 * Prints `error` to `stderr` as `stowage: <message>` (plus the usage hint for usage errors, plus the
 * stack and causes with STOWAGE_DEBUG=1) and returns the exit code.
 */
export const reportError = (
  error: unknown,
  stderr: Writable,
  env: NodeJS.ProcessEnv = process.env,
): number => {
  const lines = [`stowage: ${messageOf(error)}`];
  if (error instanceof UsageError) lines.push(usageHint(error.command));
  if (debugEnabled(env)) {
    let current: unknown = error;
    for (let depth = 0; current instanceof Error && depth < 8; depth++) {
      lines.push(depth === 0 ? (current.stack ?? "") : `caused by: ${current.stack ?? current.message}`);
      current = current.cause;
    }
  }
  stderr.write(`${lines.join("\n")}\n`);
  return error instanceof UsageError ? EXIT.usage : EXIT.failed;
};

/**
 * Runs `each` for every name in turn, as the verbs that take `NAME...` do: a name whose `each` throws
 * is reported on `stderr` as `stowage: <message>` and the next one still runs; `each` resolving to
 * false is a failure it reported itself. Resolves to EXIT.failed when any name failed, else EXIT.ok.
 */
export const forEachName = async (
  names: Iterable<string>,
  stderr: Writable,
  each: (name: string) => Promise<unknown>,
): Promise<number> => {
  let code: number = EXIT.ok;
  for (const name of names) {
    try {
      if ((await each(name)) === false) code = EXIT.failed;
    } catch (error) {
      stderr.write(`stowage: ${messageOf(error)}\n`);
      code = EXIT.failed;
    }
  }
  return code;
};

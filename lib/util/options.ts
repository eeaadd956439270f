/**
 * What `backup()` and `restore()` share in how they take options: the run controls every run has, and
 * the checks their normalisers collect problems with (so one ValidationError lists every problem).
 */
import { describeValue, ValidationError } from "../errors.ts";

/** Options of every run (`backup()`, `restore()`): cancellation and the clock. */
export interface RunOptions {
  /** Cancels the run. @default never */
  readonly signal?: AbortSignal;
  /** Clock, for tests. @default () => new Date() */
  readonly now?: () => Date;
}

/** {@link RunOptions} with their defaults applied. */
export interface ResolvedRunOptions {
  readonly signal: AbortSignal | undefined;
  readonly now: () => Date;
}

/** Applies the defaults of {@link RunOptions}. */
export const resolveRunOptions = (options: RunOptions): ResolvedRunOptions => ({
  signal: options.signal,
  now: options.now ?? (() => new Date()),
});

/**
 * Checks an optional number option, appending to `problems` when it is given and not a positive number
 * (or, with `integer`, not a positive integer); returns it, or `fallback` when it is not given.
 */
export const checkPositive = (
  problems: string[],
  name: string,
  value: number | undefined,
  fallback: number,
  { integer = false }: { readonly integer?: boolean } = {},
): number => {
  if (value === undefined) return fallback;
  const ok = typeof value === "number" && value > 0 && (!integer || Number.isInteger(value));
  if (!ok) {
    problems.push(
      integer
        ? `${name} must be a positive integer, got ${describeValue(value)}`
        : `${name} must be a positive number, got ${value}`,
    );
  }
  return value;
};

/**
 * Checks an optional number option, appending to `problems` when it is given and not a finite number
 * of at least 0; returns it, or `fallback` when it is not given.
 */
export const checkNonNegative = (
  problems: string[],
  name: string,
  value: number | undefined,
  fallback: number,
): number => {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    problems.push(`${name} must be a finite number of at least 0, got ${describeValue(value)}`);
  }
  return value;
};

/** Throws one ValidationError listing every problem, naming `subject` (`backup "x" options`); else returns. */
export const throwIfProblems = (problems: readonly string[], subject: string): void => {
  if (problems.length > 0) throw new ValidationError([...problems], subject);
};

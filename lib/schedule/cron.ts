/**
 * Cron maths: patterns, macros and IANA time zones, on croner (the only module that imports it).
 * Pure: no timers here — {@link ./schedule.ts} drives the clock.
 */
import { Cron } from "croner";

/** The `@`-macros Velero's cron library (robfig/cron) and Vixie cron accept, as 5-field patterns. */
const MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A parsed cron expression in a time zone. */
export interface CronSpec {
  /** The expression as given. */
  readonly expression: string;
  /** The 5- or 6-field pattern it means (macros expanded). */
  readonly pattern: string;
  /** IANA time zone the pattern is read in. */
  readonly timezone: string;
  /** The first run strictly after `from`, or null if there is none. */
  next(from: Date): Date | null;
  /** The next `n` runs strictly after `from`. */
  nextRuns(n: number, from: Date): Date[];
  /** The newest run at or before `at`, or null if there is none. */
  previous(at: Date): Date | null;
}

/** Returns the problem with `timezone` as an IANA zone name, or undefined when Intl knows it. */
export const timezoneProblem = (timezone: string): string | undefined => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `expected an IANA time zone such as "UTC", "Europe/Berlin" or "America/New_York", got ${JSON.stringify(timezone)}`;
  }
};

/**
 * Parses `expression`: 5 fields (minute hour day-of-month month day-of-week), 6 with a leading seconds
 * field, or a macro (`@daily`, `@hourly`, …). Day-of-month and day-of-week combine with OR when both are
 * restricted, as in Vixie cron and Velero. Times that a DST change skips run at the first valid time
 * after the gap (fixed-time jobs) and repeated times run once. Throws an Error naming the problem.
 */
export const parseCron = (expression: string, timezone: string): CronSpec => {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@every")) {
    throw new Error(
      `"@every" intervals are not supported: write a cron pattern instead (e.g. "0 */6 * * *" for every 6 hours)`,
    );
  }
  const pattern = MACROS[trimmed.toLowerCase()] ?? trimmed;
  if (pattern.startsWith("@")) {
    throw new Error(
      `unknown macro ${JSON.stringify(trimmed)}: expected one of ${Object.keys(MACROS).join(", ")}`,
    );
  }
  const fields = pattern.split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new Error(
      `expected 5 fields (minute hour day-of-month month day-of-week), 6 with leading seconds, or a macro such as @daily; got ${fields} in ${JSON.stringify(expression)}`,
    );
  }
  const tzProblem = timezoneProblem(timezone);
  if (tzProblem) throw new Error(tzProblem);
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone, paused: true, mode: "5-or-6-parts", domAndDow: false });
  } catch (error) {
    throw new Error(`invalid cron pattern ${JSON.stringify(expression)}: ${(error as Error).message}`);
  }
  return {
    expression,
    pattern,
    timezone,
    next: (from) => cron.nextRun(from),
    nextRuns: (n, from) => cron.nextRuns(n, from),
    // croner: runs strictly before the reference, plus one earlier in the reference's own second
    previous: (at) => cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null,
  };
};

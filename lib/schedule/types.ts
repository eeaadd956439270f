/** Public types of schedules: options, the context a run gets, run records and events. */

/** What a scheduled function receives for one run. */
export interface ScheduledRun {
  /** The schedule's name. */
  readonly schedule: string;
  /**
   * Why this run happened: a cron tick, `trigger()`, `runImmediately` at start, or `catch-up`: a cron
   * tick that no process ran on time (the runner's leader was down or changing), run late, once.
   */
  readonly trigger: "cron" | "manual" | "immediate" | "catch-up";
  /**
   * The tick this run is for (for `manual`/`immediate`: when it was asked for; for `catch-up`: the
   * missed tick, earlier than {@link startedAt}).
   */
  readonly scheduledAt: Date;
  /** When the run actually started. */
  readonly startedAt: Date;
  /**
   * Velero's scheduled-backup name, `<schedule>-<yyyyMMddHHmmss>` of {@link scheduledAt} in UTC. Every
   * replica computes the same name for the same tick.
   */
  readonly backupName: string;
  /** Labels a scheduled backup carries: `velero.io/schedule-name`, so Velero's `--from-schedule` finds it. */
  readonly labels: Readonly<Record<string, string>>;
  /** Aborted when the process shuts down and the grace period ran out; pass it to `backup({ signal })`. */
  readonly signal: AbortSignal;
}

/** How a run ended. */
export type RunOutcome = "succeeded" | "partially_failed" | "failed";

/** The record of one finished run. */
export interface RunRecord {
  readonly schedule: string;
  readonly trigger: ScheduledRun["trigger"];
  readonly scheduledAt: Date;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly durationMs: number;
  readonly outcome: RunOutcome;
  /** The error message of a failed run. */
  readonly error?: string;
  /** Items backed up or restored, when the run returned a backup/restore result. */
  readonly items?: number;
  /** What the run function returned. */
  readonly result?: unknown;
}

/** Counters of a schedule since it was created. */
export interface ScheduleStats {
  readonly runs: number;
  readonly succeeded: number;
  readonly partiallyFailed: number;
  readonly failed: number;
  /** Ticks skipped because the previous run was still going. */
  readonly skippedOverlaps: number;
  readonly lastRun?: RunRecord;
  /** When the last run that succeeded (or partially failed) finished. */
  readonly lastSuccess?: Date;
}

/** Events a schedule emits; the runner turns them into JSON logs and metrics. */
export type ScheduleEvent =
  | { readonly type: "started"; readonly run: ScheduledRun }
  | { readonly type: "finished"; readonly record: RunRecord }
  | {
      readonly type: "skipped";
      readonly schedule: string;
      readonly scheduledAt: Date;
      readonly reason: "overlap";
      /** When the run that is still going started. */
      readonly runningSince: Date;
    }
  | {
      readonly type: "declined";
      readonly schedule: string;
      readonly scheduledAt: Date;
      /** Why the gate said no, e.g. "not the leader" or "tick already taken by runner-b". */
      readonly reason: string;
    };

/**
 * Decides, just before a cron tick runs, whether this process runs it (the runner's leader election
 * and exactly-once claim). Resolves `true` to run, or a reason not to.
 */
export type TickGate = (schedule: string, scheduledAt: Date) => Promise<true | string>;

/** Options of {@link schedule}. */
export interface ScheduleOptions<R = unknown> {
  /**
   * The schedule's name: a DNS-1123 label of at most 63 characters (it becomes the `velero.io/schedule-name`
   * label value and the prefix of backup names). Unique within a process.
   */
  readonly name: string;
  /**
   * When to run: 5 fields (`minute hour day-of-month month day-of-week`, e.g. `"0 2 * * *"`), 6 with a
   * leading seconds field, or a macro (`@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`).
   */
  readonly cron: string;
  /** IANA time zone the cron pattern is read in (DST handled). @default "UTC" */
  readonly timezone?: string;
  /** The work. Its result, when a backup/restore result, decides the outcome (PartiallyFailed, items). */
  readonly run: (run: ScheduledRun) => R | Promise<R>;
  /** Start paused: no cron runs until `resume()`. @default false */
  readonly paused?: boolean;
  /** Run once as soon as the schedule starts (Velero's `skipImmediately: false`). @default false */
  readonly runImmediately?: boolean;
  /** Called for every event (runs, skips); errors it throws are ignored. @default no listener */
  readonly onEvent?: (event: ScheduleEvent) => void;
  /** Clock for previews and names, for tests. @default () => new Date() */
  readonly now?: () => Date;
}

/** Options of {@link Schedule.start}. */
export interface StartOptions {
  /** Asked before every cron tick runs. @default every tick runs */
  readonly gate?: TickGate;
}

/** Options of {@link Schedule.stop}. */
export interface StopOptions {
  /**
   * How long a running run may go on before its signal is aborted; stop() then waits for it to settle.
   * @default 30000
   */
  readonly graceMs?: number;
}

/** A named cron schedule, from {@link schedule}. */
export interface Schedule {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  /** True while paused (no cron runs; `trigger()` still works). */
  readonly paused: boolean;
  /** True while a run is in progress. */
  readonly running: boolean;
  /** True once started and not stopped. */
  readonly started: boolean;
  readonly stats: ScheduleStats;
  /** The next `n` cron runs strictly after `from`. @default n 5, from now */
  nextRuns(n?: number, from?: Date): Date[];
  /** Starts the cron timer (hosts call this; a script run on its own starts at creation). */
  start(options?: StartOptions): void;
  /** Stops the timer; waits for a running run (aborting it after the grace period). */
  stop(options?: StopOptions): Promise<void>;
  pause(): void;
  resume(): void;
  /** Runs now, unless a run is in progress (then resolves to undefined and counts a skipped overlap). */
  trigger(): Promise<RunRecord | undefined>;
  /**
   * Runs the missed cron tick `tick` now, as trigger `catch-up`, through the start gate like a cron tick
   * (so a runner claims it once in total). Resolves to undefined when not started, overlapping, or
   * declined by the gate. Hosts call this; a schedule never catches up on its own.
   */
  catchUp(tick: Date): Promise<RunRecord | undefined>;
  /** Adds an event listener; returns a function removing it. */
  onEvent(listener: (event: ScheduleEvent) => void): () => void;
}

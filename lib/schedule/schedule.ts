/**
 * `schedule()`: a named cron schedule with time zones, overlap protection and caught errors. The timer
 * loop is ours (croner does the maths), so every run knows exactly which tick it is for — the runner's
 * exactly-once claim and Velero's `<schedule>-<timestamp>` names both hang on that.
 */
import { ValidationError } from "../errors.ts";
import { nameTimestamp } from "../util/duration.ts";
import { type CronSpec, parseCron } from "./cron.ts";
import { adoptSchedule } from "./host.ts";
import { outcomeOf } from "./outcome.ts";
import type {
  RunRecord,
  Schedule,
  ScheduledRun,
  ScheduleEvent,
  ScheduleOptions,
  ScheduleStats,
  StartOptions,
  StopOptions,
  TickGate,
} from "./types.ts";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** setTimeout's limit is ~24.8 days; re-arm at least hourly so clock jumps are noticed too. */
const MAX_TIMER_MS = 60 * 60 * 1000;
const DEFAULT_GRACE_MS = 30_000;
/** The label Velero puts on scheduled backups. */
export const SCHEDULE_NAME_LABEL = "velero.io/schedule-name";

/** Velero's name for the backup of `schedule` at `at`: `<schedule>-<yyyyMMddHHmmss>` in UTC. */
export const scheduledBackupName = (schedule: string, at: Date): string => `${schedule}-${nameTimestamp(at)}`;

interface Resolved<R> {
  readonly name: string;
  readonly spec: CronSpec;
  readonly run: ScheduleOptions<R>["run"];
  readonly paused: boolean;
  readonly runImmediately: boolean;
  readonly now: () => Date;
}

const resolve = <R>(options: ScheduleOptions<R>): Resolved<R> => {
  const problems: string[] = [];
  const input = (options ?? {}) as Partial<ScheduleOptions<R>>;
  const name = input.name;
  if (typeof name !== "string" || !DNS1123_LABEL.test(name) || name.length > 63) {
    problems.push(
      `name: expected a DNS-1123 label of at most 63 characters (lower case letters, digits, '-'), e.g. "shop-nightly"; got ${JSON.stringify(name)}`,
    );
  }
  if (typeof input.run !== "function") problems.push(`run: expected a function, got ${typeof input.run}`);
  let spec: CronSpec | undefined;
  if (typeof input.cron !== "string") {
    problems.push(`cron: expected a cron pattern such as "0 2 * * *" or "@daily", got ${typeof input.cron}`);
  } else {
    try {
      spec = parseCron(input.cron, input.timezone ?? "UTC");
    } catch (error) {
      problems.push(
        `${/time zone/.test((error as Error).message) ? "timezone" : "cron"}: ${(error as Error).message}`,
      );
    }
  }
  if (problems.length > 0 || !spec || !input.run) {
    throw new ValidationError(problems, `schedule ${JSON.stringify(name ?? "")}`);
  }
  return {
    name: name as string,
    spec,
    run: input.run,
    paused: input.paused ?? false,
    runImmediately: input.runImmediately ?? false,
    now: input.now ?? (() => new Date()),
  };
};

/**
 * Creates a named cron schedule. Run on its own (`npx tsx nightly.ts`) the schedule starts at once and
 * keeps the process running; loaded by the runner (or `stowage schedule get`), the host takes it and
 * decides when it starts. A run never starts while the previous one runs (the skip is counted and
 * emitted), a failing run is recorded and never takes the process down, and nothing runs at creation
 * unless `runImmediately` asks for it. Throws a {@link ValidationError} for a bad name, pattern or zone.
 *
 * @example
 * schedule({ name: "shop-nightly", cron: "0 2 * * *", timezone: "Europe/Berlin",
 *   run: (run) => backup({ cluster, store, name: run.backupName, labels: run.labels,
 *     includedNamespaces: ["shop"], signal: run.signal }) });
 */
export const schedule = <R = unknown>(options: ScheduleOptions<R>): Schedule => {
  const created = createSchedule(options);
  adoptSchedule(created);
  return created;
};

/** {@link schedule} without handing it to a host: nothing starts until `start()`. */
export const createSchedule = <R = unknown>(options: ScheduleOptions<R>): Schedule => {
  const config = resolve(options);
  const listeners = new Set<(event: ScheduleEvent) => void>();
  if (options.onEvent) listeners.add(options.onEvent);
  const emit = (event: ScheduleEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure must not stop the schedule
      }
    }
  };
  let stats: ScheduleStats = { runs: 0, succeeded: 0, partiallyFailed: 0, failed: 0, skippedOverlaps: 0 };
  let paused = config.paused;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let gate: TickGate | undefined;
  let current: { since: Date; done: Promise<RunRecord>; abort: AbortController } | undefined;
  let busy = false;

  const execute = async (trigger: ScheduledRun["trigger"], scheduledAt: Date): Promise<RunRecord> => {
    const abort = new AbortController();
    const startedAt = config.now();
    const run: ScheduledRun = {
      schedule: config.name,
      trigger,
      scheduledAt,
      startedAt,
      backupName: scheduledBackupName(config.name, scheduledAt),
      labels: { [SCHEDULE_NAME_LABEL]: config.name },
      signal: abort.signal,
    };
    let settle: (record: RunRecord) => void = () => {};
    const done = new Promise<RunRecord>((resolve) => {
      settle = resolve;
    });
    current = { since: startedAt, done, abort };
    let record: RunRecord;
    try {
      emit({ type: "started", run });
      const result = await config.run(run);
      record = finish(run, outcomeOf(result));
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      const reason = abort.signal.reason as Error | undefined;
      record = finish(run, {
        outcome: "failed",
        error: abort.signal.aborted ? `aborted (${reason?.message ?? String(reason)}): ${message}` : message,
      });
    } finally {
      current = undefined;
    }
    emit({ type: "finished", record });
    settle(record);
    return record;
  };

  const finish = (run: ScheduledRun, result: Pick<RunRecord, "outcome" | "error" | "items" | "result">) => {
    const finishedAt = config.now();
    const record: RunRecord = {
      schedule: run.schedule,
      trigger: run.trigger,
      scheduledAt: run.scheduledAt,
      startedAt: run.startedAt,
      finishedAt,
      durationMs: finishedAt.getTime() - run.startedAt.getTime(),
      ...result,
    };
    stats = {
      ...stats,
      runs: stats.runs + 1,
      succeeded: stats.succeeded + (record.outcome === "succeeded" ? 1 : 0),
      partiallyFailed: stats.partiallyFailed + (record.outcome === "partially_failed" ? 1 : 0),
      failed: stats.failed + (record.outcome === "failed" ? 1 : 0),
      lastRun: record,
      ...(record.outcome === "failed" ? {} : { lastSuccess: finishedAt }),
    };
    return record;
  };

  /** One tick or trigger: overlap check, then the gate, then the run. Never throws. */
  const fire = async (
    trigger: ScheduledRun["trigger"],
    scheduledAt: Date,
    useGate: boolean,
  ): Promise<RunRecord | undefined> => {
    if (busy) {
      stats = { ...stats, skippedOverlaps: stats.skippedOverlaps + 1 };
      emit({
        type: "skipped",
        schedule: config.name,
        scheduledAt,
        reason: "overlap",
        runningSince: current?.since ?? scheduledAt,
      });
      return undefined;
    }
    busy = true;
    try {
      if (useGate && gate) {
        let verdict: true | string;
        try {
          verdict = await gate(config.name, scheduledAt);
        } catch (error) {
          verdict = `the gate failed: ${(error as Error).message}`;
        }
        if (verdict !== true) {
          emit({ type: "declined", schedule: config.name, scheduledAt, reason: verdict });
          return undefined;
        }
      }
      return await execute(trigger, scheduledAt);
    } finally {
      busy = false;
    }
  };

  const arm = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!started || paused) return;
    const from = config.now();
    const next = config.spec.next(from);
    if (!next) return;
    const delay = Math.min(Math.max(0, next.getTime() - from.getTime()), MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (config.now().getTime() < next.getTime()) {
        arm(); // woke early (capped timer or clock change): wait for the real tick
        return;
      }
      arm();
      void fire("cron", next, true);
    }, delay);
  };

  const self: Schedule = {
    name: config.name,
    cron: config.spec.expression,
    timezone: config.spec.timezone,
    get paused() {
      return paused;
    },
    get running() {
      return current !== undefined;
    },
    get started() {
      return started;
    },
    get stats() {
      return stats;
    },
    nextRuns: (n = 5, from = config.now()) => config.spec.nextRuns(n, from),
    start(startOptions: StartOptions = {}) {
      if (started) return;
      started = true;
      gate = startOptions.gate;
      arm();
      if (config.runImmediately) void fire("immediate", config.now(), true);
    },
    async stop(stopOptions: StopOptions = {}) {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      const running = current;
      if (!running) return;
      const graceMs = stopOptions.graceMs ?? DEFAULT_GRACE_MS;
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<"grace-over">((resolve) => {
        graceTimer = setTimeout(() => resolve("grace-over"), graceMs);
      });
      const first = await Promise.race([running.done.then(() => "done" as const), graceOver]);
      clearTimeout(graceTimer);
      if (first === "grace-over") {
        running.abort.abort(new Error(`shutting down: the ${graceMs} ms grace period is over`));
        await running.done;
      }
    },
    pause() {
      paused = true;
      arm();
    },
    resume() {
      paused = false;
      arm();
    },
    trigger: () => fire("manual", config.now(), false),
    catchUp: (tick) => (started ? fire("catch-up", tick, true) : Promise.resolve(undefined)),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return self;
};

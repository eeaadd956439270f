/**
 * The runner's Prometheus metrics, on prom-client (Prometheus text format). Per schedule: runs by
 * outcome, failures, durations, items, the last success time, skipped overlaps, missed ticks, catch-up
 * runs and the next run; per
 * runner: leadership, scripts loaded/failed, GC passes. Plus Node's process metrics.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RunRecord, Schedule, ScheduleEvent } from "../lib/index.ts";

/** The metric set of one runner. */
export interface RunnerMetrics {
  readonly registry: Registry;
  /** Feeds a schedule's events into the metrics. */
  observe(schedule: Schedule): void;
  setLeader(leading: boolean): void;
  setScripts(loaded: number, failed: number): void;
  gcPass(result: { deleted: number; errors: number }): void;
  /** Counts `count` ticks of `schedule` that no replica ran. */
  missedTicks(schedule: string, count: number): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
}

export const createRunnerMetrics = (): RunnerMetrics => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "stowage_runner_process_" });
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge({ name, help, labelNames, registers });
  const bySchedule = ["schedule"] as const;

  const runs = counter(
    "stowage_schedule_runs_total",
    "Finished runs of a schedule, by outcome (succeeded, partially_failed, failed).",
    ["schedule", "outcome"],
  );
  const failures = counter(
    "stowage_schedule_failures_total",
    "Runs of a schedule that failed (threw, were aborted, or ended in a Failed phase).",
    bySchedule,
  );
  const duration = new Histogram({
    name: "stowage_schedule_run_duration_seconds",
    help: "How long runs of a schedule took.",
    labelNames: bySchedule,
    buckets: [0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400],
    registers,
  });
  const items = gauge(
    "stowage_schedule_items",
    "Items backed up or restored by the last run of a schedule that returned a result.",
    bySchedule,
  );
  const lastSuccess = gauge(
    "stowage_schedule_last_success_timestamp_seconds",
    "When the last successful (or partially failed) run of a schedule finished, in Unix seconds.",
    bySchedule,
  );
  const skipped = counter(
    "stowage_schedule_skipped_overlaps_total",
    "Ticks skipped because the schedule's previous run was still going.",
    bySchedule,
  );
  const missed = counter(
    "stowage_schedule_missed_ticks_total",
    "Cron ticks of a schedule that no replica ran (no leader at the time) and that were not caught up.",
    bySchedule,
  );
  const catchUps = counter(
    "stowage_schedule_catch_ups_total",
    "Runs of a schedule that caught up a missed tick late (at most one per outage).",
    bySchedule,
  );
  const nextRun = gauge(
    "stowage_schedule_next_run_timestamp_seconds",
    "The next cron run of a schedule, in Unix seconds.",
    bySchedule,
  );
  const leader = gauge("stowage_runner_leader", "1 while this replica holds the runner Lease.");
  const scripts = gauge(
    "stowage_runner_scripts",
    "Scripts found in the scripts directory, by state (loaded, failed).",
    ["state"],
  );
  const gcDeleted = counter(
    "stowage_gc_backups_deleted_total",
    "Expired backups deleted by garbage collection.",
  );
  const gcErrors = counter("stowage_gc_errors_total", "Expired backups garbage collection failed to delete.");
  const gcLast = gauge(
    "stowage_gc_last_run_timestamp_seconds",
    "When the last garbage-collection pass finished, in Unix seconds.",
  );
  const seconds = (date: Date) => date.getTime() / 1000;

  const finished = (record: RunRecord) => {
    const labels = { schedule: record.schedule };
    runs.inc({ ...labels, outcome: record.outcome });
    duration.observe(labels, record.durationMs / 1000);
    if (record.outcome === "failed") failures.inc(labels);
    else lastSuccess.set(labels, seconds(record.finishedAt));
    if (record.items !== undefined) items.set(labels, record.items);
  };

  return {
    registry,
    observe(schedule) {
      // make the series exist from the start, so dashboards and alerts see zeroes rather than nothing
      for (const outcome of ["succeeded", "partially_failed", "failed"]) {
        runs.inc({ schedule: schedule.name, outcome }, 0);
      }
      failures.inc({ schedule: schedule.name }, 0);
      skipped.inc({ schedule: schedule.name }, 0);
      missed.inc({ schedule: schedule.name }, 0);
      catchUps.inc({ schedule: schedule.name }, 0);
      const updateNext = () => {
        const [next] = schedule.nextRuns(1);
        if (next) nextRun.set({ schedule: schedule.name }, seconds(next));
      };
      updateNext();
      schedule.onEvent((event: ScheduleEvent) => {
        if (event.type === "finished") finished(event.record);
        if (event.type === "skipped") skipped.inc({ schedule: event.schedule });
        if (event.type === "started" && event.run.trigger === "catch-up") {
          catchUps.inc({ schedule: event.run.schedule });
        }
        updateNext();
      });
    },
    setLeader: (leading) => leader.set(leading ? 1 : 0),
    setScripts(loaded, failed) {
      scripts.set({ state: "loaded" }, loaded);
      scripts.set({ state: "failed" }, failed);
    },
    gcPass({ deleted, errors }) {
      gcDeleted.inc(deleted);
      gcErrors.inc(errors);
      gcLast.set(Date.now() / 1000);
    },
    missedTicks: (schedule, count) => missed.inc({ schedule }, count),
    render: () => registry.metrics(),
  };
};

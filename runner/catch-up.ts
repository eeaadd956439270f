/**
 * Missed ticks. A cron tick that fires while no replica leads (the leader died and its Lease has not
 * expired yet, or every replica was restarting) is declined everywhere. Like Velero's schedule
 * controller, which starts a backup when the next run time after a schedule's last backup has passed,
 * the runner catches up: when a replica becomes the leader (and at start), every schedule whose newest
 * cron tick is later than the last tick claimed on the Lease runs that newest tick once, late, as
 * trigger `catch-up` — claimed on the Lease like any tick, so two replicas never both run it. A
 * schedule the Lease has never seen has nothing to catch up: it just starts.
 *
 * Every other tick that nobody ran is logged at error and counted in
 * `stowage_schedule_missed_ticks_total`. The accounting hangs on the claims: each successful claim
 * learns the tick claimed before it, and the cron ticks strictly between the two are the missed ones —
 * so each gap is reported once, by the replica that closed it, whichever path (catch-up or the next
 * cron tick) closed it.
 *
 * Differences from Velero: Velero names the catch-up backup after the time it runs; here the run keeps
 * the missed tick's time (`scheduledAt`, so `backupName` is `<schedule>-<missed tick>`), which is what
 * lets every replica agree on the claim.
 */
import { type CronSpec, parseCron, type Schedule, type TickGate } from "../lib/schedule/index.ts";
import { asScript } from "./exit-guard.ts";
import type { LeaderElector } from "./leader.ts";
import type { Logger } from "./log.ts";
import type { RunnerMetrics } from "./metrics.ts";

/** Missed ticks logged one by one per gap; the rest are summed up in one line. */
const LOGGED_PER_GAP = 10;
/** Missed ticks counted per gap (a per-second schedule down for a day stops counting here). */
const COUNTED_PER_GAP = 10_000;

/** The cron ticks strictly between `after` and `before`, at most `limit` of them. */
export const ticksBetween = (
  spec: CronSpec,
  after: Date,
  before: Date,
  limit: number,
): { ticks: Date[]; more: boolean } => {
  const ticks: Date[] = [];
  let from = after;
  while (ticks.length < limit) {
    const want = Math.min(100, limit - ticks.length);
    const batch = spec.nextRuns(want, from);
    for (const tick of batch) {
      if (tick.getTime() >= before.getTime()) return { ticks, more: false };
      ticks.push(tick);
    }
    const last = batch.at(-1);
    if (!last || batch.length < want) return { ticks, more: false };
    from = last;
  }
  const next = spec.next(from);
  return { ticks, more: next !== null && next.getTime() < before.getTime() };
};

/** The script code a schedule's runs belong to (for the process.exit guard). */
export const runOf = (schedule: Schedule): string => `the run of schedule "${schedule.name}"`;

/** The gate of every schedule and the catching up, for one runner. */
export interface CatchUp {
  /** The tick gate of `schedule`: claims on the Lease, reports the ticks nobody ran before this one. */
  gate(schedule: Schedule): TickGate;
  /** Each schedule's last claimed tick, from the Lease; undefined (logged) when it cannot be read. */
  lastTicks(): Promise<ReadonlyMap<string, Date> | undefined>;
  /**
   * Starts the catch-up run of `schedule` if its newest tick is later than its last claimed one. The
   * claim is queued before this returns, so a cron tick firing afterwards cannot claim past it.
   */
  catchUp(schedule: Schedule, last: ReadonlyMap<string, Date>): void;
  /** {@link lastTicks}, then {@link catchUp} for every schedule; call on becoming the leader. */
  pass(): Promise<void>;
}

export const createCatchUp = (options: {
  readonly schedules: readonly Schedule[];
  readonly elector: LeaderElector;
  readonly log: Logger;
  readonly metrics: RunnerMetrics;
}): CatchUp => {
  const { elector, log, metrics } = options;
  const specs = new Map(options.schedules.map((s) => [s.name, parseCron(s.cron, s.timezone)]));
  const specOf = (s: Schedule) => specs.get(s.name) ?? parseCron(s.cron, s.timezone);
  // ticks this replica skipped because the schedule's previous run was still going: reported as
  // skipped overlaps already, not as missed ones (forgotten once a later tick is claimed)
  const skipped = new Map<string, Set<number>>();
  for (const s of options.schedules) {
    s.onEvent((event) => {
      if (event.type !== "skipped") return;
      const set = skipped.get(s.name) ?? new Set<number>();
      set.add(event.scheduledAt.getTime());
      skipped.set(s.name, set);
    });
  }

  const reportMissed = (s: Schedule, previous: Date, claimed: Date) => {
    const overlaps = new Set(skipped.get(s.name));
    for (const tick of overlaps) if (tick <= claimed.getTime()) skipped.get(s.name)?.delete(tick);
    const found = ticksBetween(specOf(s), previous, claimed, COUNTED_PER_GAP);
    const ticks = found.ticks.filter((tick) => !overlaps?.has(tick.getTime()));
    if (ticks.length === 0) return;
    metrics.missedTicks(s.name, ticks.length);
    const scheduleLog = log.with({ schedule: s.name });
    for (const tick of ticks.slice(0, LOGGED_PER_GAP)) {
      scheduleLog.error("tick missed: no replica ran it", {
        scheduledAt: tick,
        lastRunTick: previous,
        nextRunTick: claimed,
      });
    }
    if (ticks.length > LOGGED_PER_GAP) {
      scheduleLog.error("more ticks missed: no replica ran them", {
        missed: `${ticks.length - LOGGED_PER_GAP}${found.more ? " or more" : ""}`,
        lastRunTick: previous,
        nextRunTick: claimed,
      });
    }
  };

  const lastTicks = async () => {
    try {
      return await elector.lastTicks();
    } catch (error) {
      log.warn("could not read the last ticks to catch up missed ones", { error: (error as Error).message });
      return undefined;
    }
  };

  const catchUp = (s: Schedule, last: ReadonlyMap<string, Date>) => {
    const previous = last.get(s.name);
    if (!previous || !s.started || s.paused) return;
    const newest = specOf(s).previous(new Date());
    if (!newest || newest.getTime() <= previous.getTime()) return;
    log.warn("catching up a missed tick", {
      schedule: s.name,
      scheduledAt: newest,
      lastRunTick: previous,
      catchUp: true,
    });
    void asScript(runOf(s), () => s.catchUp(newest));
  };

  return {
    gate: (s) => async (name, tick) => {
      const claim = await elector.claimTick(name, tick);
      if (typeof claim === "string") return claim;
      if (claim.previous) reportMissed(s, claim.previous, tick);
      return true;
    },
    lastTicks,
    catchUp,
    async pass() {
      if (!elector.isLeader) return;
      const last = await lastTicks();
      if (!last) return;
      for (const s of options.schedules) catchUp(s, last);
    },
  };
};

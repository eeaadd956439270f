// Schedules on real timers: overlap protection with a job that outlasts its interval, caught errors,
// pause/resume, no run at creation, manual triggers, the gate, grace on stop, and hosts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createSchedule, type RunRecord, type ScheduleEvent, schedule } from "../../lib/index.ts";
import { collectingHost, setScheduleHost } from "../../lib/schedule/index.ts";

const EVERY_SECOND = "* * * * * *";

const recorder = () => {
  const events: ScheduleEvent[] = [];
  return { events, onEvent: (event: ScheduleEvent) => void events.push(event) };
};

describe("schedule on real timers", () => {
  test("a job that outlasts its interval never overlaps; the skipped ticks are counted and emitted", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const { events, onEvent } = recorder();
    const s = createSchedule({
      name: "slow",
      cron: EVERY_SECOND,
      onEvent,
      run: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(2500);
        inFlight--;
      },
    });
    s.start();
    await sleep(5600);
    await s.stop({ graceMs: 5000 });
    assert.equal(maxInFlight, 1, "two runs were in flight at once");
    assert.ok(s.stats.runs >= 1 && s.stats.runs <= 3, `runs: ${s.stats.runs}`);
    assert.ok(s.stats.skippedOverlaps >= 2, `skipped overlaps: ${s.stats.skippedOverlaps}`);
    const skips = events.filter((e) => e.type === "skipped");
    assert.equal(skips.length, s.stats.skippedOverlaps);
    for (const skip of skips) {
      assert.equal(skip.type === "skipped" && skip.reason, "overlap");
      assert.ok(skip.type === "skipped" && skip.runningSince <= skip.scheduledAt);
    }
  });

  test("a failing job is recorded as failed and the schedule keeps going", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const s = createSchedule({
      name: "flaky",
      cron: EVERY_SECOND,
      run: async (run) => {
        throw new Error(`bucket unreachable at ${run.scheduledAt.toISOString()}`);
      },
    });
    s.start();
    await sleep(2600);
    await s.stop();
    process.off("unhandledRejection", onUnhandled);
    assert.ok(s.stats.failed >= 2, `failed: ${s.stats.failed}`);
    assert.equal(s.stats.succeeded, 0);
    assert.equal(s.stats.lastSuccess, undefined);
    assert.match(s.stats.lastRun?.error ?? "", /^bucket unreachable at /);
    assert.deepEqual(unhandled, []);
  });

  test("ticks are whole seconds, named after the tick in UTC and labelled for Velero", async () => {
    const runs: { at: Date; name: string; labels: Record<string, string> }[] = [];
    const s = createSchedule({
      name: "shop-nightly",
      cron: EVERY_SECOND,
      run: (run) => void runs.push({ at: run.scheduledAt, name: run.backupName, labels: { ...run.labels } }),
    });
    s.start();
    await sleep(2300);
    await s.stop();
    assert.ok(runs.length >= 2, `runs: ${runs.length}`);
    for (const run of runs) {
      assert.equal(run.at.getUTCMilliseconds(), 0);
      const iso = run.at.toISOString();
      const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
      assert.equal(run.name, `shop-nightly-${stamp}`);
      assert.deepEqual(run.labels, { "velero.io/schedule-name": "shop-nightly" });
    }
    const distinct = new Set(runs.map((r) => r.at.getTime()));
    assert.equal(distinct.size, runs.length, "a tick ran twice");
  });

  test("nothing runs at creation or start unless runImmediately asks", async () => {
    let runs = 0;
    const quiet = createSchedule({ name: "quiet", cron: "@daily", run: () => void runs++ });
    quiet.start();
    await sleep(300);
    await quiet.stop();
    assert.equal(runs, 0);

    const triggers: string[] = [];
    const eager = createSchedule({
      name: "eager",
      cron: "@daily",
      runImmediately: true,
      run: (run) => void triggers.push(run.trigger),
    });
    eager.start();
    await sleep(300);
    await eager.stop();
    assert.deepEqual(triggers, ["immediate"]);
  });

  test("paused schedules take no cron runs until resumed; trigger() still runs", async () => {
    const triggers: string[] = [];
    const s = createSchedule({
      name: "paused",
      cron: EVERY_SECOND,
      paused: true,
      run: (run) => void triggers.push(run.trigger),
    });
    s.start();
    await sleep(1500);
    assert.deepEqual(triggers, []);
    const record = await s.trigger();
    assert.equal(record?.outcome, "succeeded");
    assert.deepEqual(triggers, ["manual"]);
    s.resume();
    await sleep(1600);
    await s.stop();
    assert.ok(triggers.filter((t) => t === "cron").length >= 1, `triggers: ${triggers.join(",")}`);
  });

  test("the gate decides whether a tick runs, and a declined tick is emitted", async () => {
    const { events, onEvent } = recorder();
    let runs = 0;
    let allow = false;
    const s = createSchedule({ name: "gated", cron: EVERY_SECOND, onEvent, run: () => void runs++ });
    s.start({ gate: async () => (allow ? true : "not the leader") });
    await sleep(1600);
    assert.equal(runs, 0);
    const declined = events.filter((e) => e.type === "declined");
    assert.ok(declined.length >= 1);
    assert.equal(declined[0]?.type === "declined" && declined[0].reason, "not the leader");
    allow = true;
    await sleep(1600);
    await s.stop();
    assert.ok(runs >= 1);
  });

  test("a result's phase and counts decide the outcome; PartiallyFailed still counts as a success time", async () => {
    const s = createSchedule({
      name: "phased",
      cron: "@daily",
      run: () => ({ phase: "PartiallyFailed", counts: { itemsBackedUp: 7 } }),
    });
    const record = (await s.trigger()) as RunRecord;
    assert.equal(record.outcome, "partially_failed");
    assert.equal(record.items, 7);
    assert.equal(s.stats.partiallyFailed, 1);
    assert.ok(s.stats.lastSuccess instanceof Date);
    const failed = createSchedule({ name: "failed", cron: "@daily", run: () => ({ phase: "Failed" }) });
    assert.equal((await failed.trigger())?.outcome, "failed");
  });

  test("stop() lets a run finish within the grace period, then aborts it and records it failed", async () => {
    const quick = createSchedule({ name: "quick", cron: "@daily", run: () => sleep(200) });
    const quickRun = quick.trigger();
    await sleep(20);
    await quick.stop({ graceMs: 2000 });
    assert.equal((await quickRun)?.outcome, "succeeded");

    const stubborn = createSchedule({
      name: "stubborn",
      cron: "@daily",
      run: (run) =>
        new Promise((_, reject) => {
          run.signal.addEventListener("abort", () => reject(new Error("backup removed from the store")));
        }),
    });
    const pending = stubborn.trigger();
    await sleep(20);
    assert.equal(stubborn.running, true);
    const began = Date.now();
    await stubborn.stop({ graceMs: 300 });
    assert.ok(Date.now() - began >= 250);
    const record = await pending;
    assert.equal(record?.outcome, "failed");
    assert.match(
      record?.error ?? "",
      /^aborted \(shutting down: the 300 ms grace period is over\): backup removed/,
    );
    assert.equal(stubborn.running, false);
  });

  test("a trigger during a run is skipped as an overlap", async () => {
    const s = createSchedule({ name: "busy", cron: "@daily", run: () => sleep(300) });
    const first = s.trigger();
    await sleep(20);
    assert.equal(await s.trigger(), undefined);
    assert.equal(s.stats.skippedOverlaps, 1);
    assert.equal((await first)?.outcome, "succeeded");
  });
});

describe("schedule() and hosts", () => {
  test("under a host, schedule() hands the schedule over without starting it", async () => {
    const host = collectingHost();
    const previous = setScheduleHost(host);
    try {
      const s = schedule({ name: "hosted", cron: EVERY_SECOND, run: () => {} });
      assert.deepEqual(host.schedules, [s]);
      assert.equal(s.started, false);
    } finally {
      setScheduleHost(previous);
    }
  });

  test("without a host (a script run on its own), schedule() starts at once", async () => {
    let runs = 0;
    const s = schedule({ name: "standalone", cron: EVERY_SECOND, run: () => void runs++ });
    assert.equal(s.started, true);
    await sleep(1600);
    await s.stop();
    assert.ok(runs >= 1);
  });
});

// Two `stowage runner` processes against the real apiserver, one per-second schedule: every tick runs
// exactly once in total, killing the leader hands over within the lease duration, probes and metrics
// answer, malformed scripts are reported by path while the good one runs, SIGTERM releases the Lease.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { tempDir } from "../cli/support.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import {
  duplicateRuns,
  leaseHolder,
  leaseTicks,
  RECORD_RUN,
  type Replica,
  readRuns,
  scriptsDir,
  startReplica,
  waitFor,
} from "./support.ts";

const TICK_SCRIPT = `import { appendFileSync } from "node:fs";
import { schedule } from "stowage";

// top-level await works: scripts are ES modules
await Promise.resolve();

schedule({
  name: "tick",
  cron: "* * * * * *",
  run: (run) => {
    appendFileSync(process.env.TICKS_FILE as string, \`\${run.scheduledAt.toISOString()} \${process.env.POD_NAME}\\n\`);
  },
});
`;

const BAD_SCRIPTS = {
  "bad-cron.ts": `import { schedule } from "stowage";\nschedule({ name: "broken", cron: "* * *", run: () => {} });\n`,
  "syntax.ts": "export const x = ;\n",
  "nothing.ts": "export const unused = 1;\n",
  "README.md": "# not a script: copied for scripts to read, never imported\n",
};

const LEASE_SECONDS = 3;
const ARGS = (dir: string, namespace: string) => [
  "--scripts",
  dir,
  "--namespace",
  namespace,
  "--lease-duration",
  `${LEASE_SECONDS}s`,
  "--renew-deadline",
  "2s",
  "--retry-period",
  "500ms",
  "--gc-interval",
  "0",
];

const readTicks = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [at = "", by = ""] = line.split(" ");
      return { at: new Date(at).getTime(), by };
    });

describe("runner: leader election on a Lease (two real runner processes)", () => {
  test("each tick runs once in total, the leader's death hands over, probes answer, SIGTERM releases", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "runner");
    const dir = scriptsDir({ "tick.ts": TICK_SCRIPT, ...BAD_SCRIPTS });
    const ticksFile = `${tempDir("stowage-ticks-")}/ticks.log`;
    writeFileSync(ticksFile, "");
    const env = { TICKS_FILE: ticksFile };
    const replicas: Replica[] = await Promise.all([
      startReplica("runner-a", ARGS(dir, namespace), env),
      startReplica("runner-b", ARGS(dir, namespace), env),
    ]);

    // malformed scripts: reported with their path, in the log and in /readyz
    const ready = (await (await fetch(`${replicas[0]?.url}/readyz`)).json()) as {
      scripts: { loaded: string[]; failed: { path: string; error: string }[] };
    };
    assert.deepEqual(ready.scripts.loaded, [`${dir}/tick.ts`]);
    const failures = Object.fromEntries(
      ready.scripts.failed.map((f) => [f.path.slice(dir.length + 1), f.error]),
    );
    assert.deepEqual(Object.keys(failures).sort(), ["bad-cron.ts", "nothing.ts", "syntax.ts"]);
    assert.match(failures["bad-cron.ts"] ?? "", /invalid schedule "broken".*expected 5 fields/s);
    assert.match(failures["syntax.ts"] ?? "", /syntax\.ts|Unexpected|Expected/);
    assert.match(
      failures["nothing.ts"] ?? "",
      /registers no schedules and no item actions: a runner script must call schedule\(\)/,
    );
    for (const replica of replicas) {
      const notLoaded = replica.logs.filter((l) => l.msg === "script not loaded").map((l) => l.script);
      assert.deepEqual(notLoaded.sort(), [`${dir}/bad-cron.ts`, `${dir}/nothing.ts`, `${dir}/syntax.ts`]);
    }

    await waitFor("15 ticks", () => readTicks(ticksFile).length >= 15, 60_000);
    const lease = await cluster.get("leases.coordination.k8s.io", "stowage-runner", { namespace });
    const holder = (lease.spec as { holderIdentity?: string }).holderIdentity;
    const leader = replicas.find((r) => r.name === holder);
    const survivor = replicas.find((r) => r.name !== holder);
    assert.ok(leader && survivor, `holder ${holder}`);

    const metricsBefore = await (await fetch(`${leader.url}/metrics`)).text();
    assert.match(metricsBefore, /^stowage_runner_leader 1$/m);
    assert.match(
      metricsBefore,
      /^stowage_schedule_runs_total\{schedule="tick",outcome="succeeded"\} [1-9]\d*$/m,
    );
    assert.match(metricsBefore, /^stowage_schedule_last_success_timestamp_seconds\{schedule="tick"\} \d+/m);
    assert.match(metricsBefore, /^stowage_runner_scripts\{state="failed"\} 3$/m);
    assert.match(await (await fetch(`${survivor.url}/metrics`)).text(), /^stowage_runner_leader 0$/m);
    assert.equal((await fetch(`${survivor.url}/healthz`)).status, 200);

    // kill the leader outright: no release, the survivor must wait out the lease
    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await leader.exited;
    await waitFor(
      "the survivor's first tick",
      () => readTicks(ticksFile).some((t) => t.by === survivor.name && t.at > killedAt),
      30_000,
    );
    const firstAfter = readTicks(ticksFile).find((t) => t.by === survivor.name && t.at > killedAt);
    const handoverMs = (firstAfter?.at ?? 0) - killedAt;
    assert.ok(
      handoverMs <= LEASE_SECONDS * 1000 + 2500,
      `handover took ${handoverMs} ms (lease ${LEASE_SECONDS} s)`,
    );
    await waitFor("30 ticks in all", () => readTicks(ticksFile).length >= 30, 60_000);

    const ticks = readTicks(ticksFile);
    const seen = new Map<number, string[]>();
    for (const t of ticks) seen.set(t.at, [...(seen.get(t.at) ?? []), t.by]);
    const twice = [...seen].filter(([, by]) => by.length > 1);
    assert.deepEqual(twice, [], "a tick ran more than once");
    // no tick lost while a leader was alive: consecutive seconds before the kill and after the handover
    const seconds = [...seen.keys()].sort((a, b) => a - b);
    const gaps = seconds.slice(1).filter((at, i) => at - (seconds[i] as number) !== 1000);
    const handoverGaps = gaps.filter((at) => at > killedAt && at <= (firstAfter?.at ?? 0));
    assert.deepEqual(
      gaps.filter((g) => !handoverGaps.includes(g)).map((g) => new Date(g).toISOString()),
      [],
      "ticks were lost while a leader was alive",
    );

    // graceful stop: exit 0, the Lease released for a fast takeover
    survivor.child.kill("SIGTERM");
    const exit = await survivor.exited;
    assert.equal(exit.code, 0, survivor.stderr());
    const released = await cluster.get("leases.coordination.k8s.io", "stowage-runner", { namespace });
    assert.ok(!(released.spec as { holderIdentity?: string }).holderIdentity, "lease not released");
    for (const replica of replicas) {
      assert.deepEqual(replica.notJson, [], `${replica.name} wrote non-JSON lines`);
      assert.ok(replica.logs.every((l) => typeof l.time === "string" && typeof l.level === "string"));
    }
    assert.ok(survivor.logs.some((l) => l.msg === "became the leader"));
    assert.ok(survivor.logs.some((l) => l.msg === "runner stopped"));
  });
});

// A two-second schedule whose runs take 1.5 s (so the leader dies in the middle of one), and a sparse
// one standing in for a nightly backup: its tick is made to fall inside the handover.
const HANDOVER_SCRIPT = `import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { schedule } from "stowage";

schedule({
  name: "every2s",
  cron: "*/2 * * * * *",
  run: async (run) => {
    ${RECORD_RUN};
    await sleep(1500);
  },
});
schedule({
  name: "nightly",
  cron: "*/10 * * * * *",
  run: (run) => {
    ${RECORD_RUN};
  },
});
`;

const HANDOVER_LEASE_SECONDS = 5;
const handoverArgs = (dir: string, namespace: string) => [
  "--scripts",
  dir,
  "--namespace",
  namespace,
  "--lease-duration",
  `${HANDOVER_LEASE_SECONDS}s`,
  "--renew-deadline",
  "3s",
  "--retry-period",
  "500ms",
  "--gc-interval",
  "0",
];

const metricValue = (text: string, name: string, schedule: string): number => {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{schedule="${schedule}"} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
};

describe("runner: ticks missed while no replica leads", () => {
  test("leader SIGKILLed mid-run: no tick runs twice, the newest missed tick (and the nightly one) runs once after the handover as a catch-up, the rest are logged and counted", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "runner-handover");
    const dir = scriptsDir({ "handover.ts": HANDOVER_SCRIPT });
    const runsFile = `${tempDir("stowage-runs-")}/runs.log`;
    writeFileSync(runsFile, "");
    const env = { RUNS_FILE: runsFile };
    const replicas = await Promise.all([
      startReplica("runner-a", handoverArgs(dir, namespace), env),
      startReplica("runner-b", handoverArgs(dir, namespace), env),
    ]);
    const runs = () => readRuns(runsFile);
    const logs = () => replicas.map((r) => `${r.name}:\n${r.stderr()}`).join("\n");

    // the leader has run a nightly tick, so the Lease knows the nightly schedule's last tick
    await waitFor("a nightly run", () => runs().some((r) => r.schedule === "nightly"), 60_000, logs);
    const holder = await leaseHolder(cluster, namespace);
    const leader = replicas.find((r) => r.name === holder);
    const survivor = replicas.find((r) => r.name !== holder);
    assert.ok(leader && survivor, `holder ${holder}`);

    // kill the leader 3 s before the next nightly tick: in the middle of an every2s run (they start on
    // even seconds and take 1.5 s), and the handover (the lease is 5 s) swallows the nightly tick
    const firstNightly = Math.max(
      ...runs()
        .filter((r) => r.schedule === "nightly")
        .map((r) => r.at),
    );
    let nightlyTick = firstNightly + 10_000;
    while (nightlyTick - 3000 < Date.now() + 500) nightlyTick += 10_000;
    await sleep(nightlyTick - 3000 - Date.now());
    assert.equal(await leaseHolder(cluster, namespace), leader.name, "the leader changed before the kill");
    leader.child.kill("SIGKILL");
    await leader.exited;
    const killedAt = Date.now();
    const leaderRuns = runs().filter((r) => r.by === leader.name);
    const lastByLeader = Math.max(...leaderRuns.filter((r) => r.schedule === "every2s").map((r) => r.at));
    assert.ok(killedAt - lastByLeader < 2000, "the leader was killed while an every2s run was going");
    assert.ok(
      !leaderRuns.some((r) => r.at >= nightlyTick),
      "the leader ran the nightly tick before the kill",
    );

    // the survivor takes over, catches up, and goes on: wait for a few of its on-time every2s runs
    await waitFor(
      "the nightly catch-up and three on-time every2s runs on the survivor",
      () =>
        runs().some((r) => r.schedule === "nightly" && r.by === survivor.name) &&
        runs().filter((r) => r.schedule === "every2s" && r.by === survivor.name && r.trigger === "cron")
          .length >= 3,
      60_000,
      logs,
    );
    const all = runs();
    assert.deepEqual(duplicateRuns(all), [], "a tick ran more than once");

    // the nightly tick that fell into the handover ran once, late, on the survivor, as a catch-up
    const nightly = all.filter((r) => r.schedule === "nightly" && r.at === nightlyTick);
    assert.deepEqual(
      nightly.map((r) => [r.by, r.trigger]),
      [[survivor.name, "catch-up"]],
      "the nightly tick in the handover",
    );
    const caughtUp = survivor.logs.find(
      (l) => l.msg === "run started" && l.schedule === "nightly" && l.trigger === "catch-up",
    );
    assert.equal(caughtUp?.catchUp, true);
    assert.equal(caughtUp?.scheduledAt, new Date(nightlyTick).toISOString());

    // every2s: every even second from the first run on ran exactly once, or is reported missed (error
    // log) exactly once, or was skipped because a run was still going (the late catch-up run can
    // overlap the next tick); at most one of the handover's ticks was caught up
    const every2s = all.filter((r) => r.schedule === "every2s");
    const missed = survivor.logs
      .filter((l) => l.msg === "tick missed: no replica ran it" && l.schedule === "every2s")
      .map((l) => {
        assert.equal(l.level, "error");
        return new Date(String(l.scheduledAt)).getTime();
      });
    assert.equal(new Set(missed).size, missed.length, "a missed tick was reported twice");
    const ran = new Set(every2s.map((r) => r.at));
    assert.deepEqual(
      missed.filter((at) => ran.has(at)).map((at) => new Date(at).toISOString()),
      [],
      "reported missed but ran",
    );
    const overlaps = replicas.flatMap((r) =>
      r.logs
        .filter((l) => l.msg === "tick skipped: the previous run is still going" && l.schedule === "every2s")
        .map((l) => new Date(String(l.scheduledAt)).getTime()),
    );
    assert.deepEqual(
      overlaps.filter((at) => ran.has(at) || missed.includes(at)).map((at) => new Date(at).toISOString()),
      [],
      "skipped as an overlap but ran or reported missed",
    );
    const first = Math.min(...ran);
    const last = Math.max(...ran);
    const unaccounted: string[] = [];
    for (let at = first; at <= last; at += 2000) {
      if (!ran.has(at) && !missed.includes(at) && !overlaps.includes(at)) {
        unaccounted.push(new Date(at).toISOString());
      }
    }
    assert.deepEqual(unaccounted, [], "ticks neither run, nor reported missed, nor skipped as overlaps");
    const catchUps = every2s.filter((r) => r.trigger === "catch-up");
    const firstAfter = every2s.filter((r) => r.at > lastByLeader).sort((a, b) => a.at - b.at)[0];
    assert.ok(firstAfter && firstAfter.by === survivor.name, "the survivor ran the ticks after the kill");
    // the tick the new leader took over on runs as a catch-up, unless its own timer claimed it first
    assert.deepEqual(
      catchUps.map((r) => r.at),
      firstAfter.trigger === "catch-up" ? [firstAfter.at] : [],
      "every2s catch-ups",
    );
    // with a 5 s lease at least one tick before the caught-up one was missed
    assert.ok(missed.length >= 1, `missed: ${missed.length}`);
    const metrics = await (await fetch(`${survivor.url}/metrics`)).text();
    assert.equal(metricValue(metrics, "stowage_schedule_missed_ticks_total", "every2s"), missed.length);
    assert.equal(metricValue(metrics, "stowage_schedule_catch_ups_total", "every2s"), catchUps.length);
    assert.equal(metricValue(metrics, "stowage_schedule_catch_ups_total", "nightly"), 1);
    assert.equal(metricValue(metrics, "stowage_schedule_missed_ticks_total", "nightly"), 0);

    survivor.child.kill("SIGTERM");
    assert.equal((await survivor.exited).code, 0, survivor.stderr());
  });

  test("a restart catches up once and drops the Lease's entry of a schedule that was removed", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "runner-prune");
    const runsFile = `${tempDir("stowage-runs-")}/runs.log`;
    writeFileSync(runsFile, "");
    const env = { RUNS_FILE: runsFile };
    const keep = `import { appendFileSync } from "node:fs";
import { schedule } from "stowage";
schedule({ name: "keep", cron: "* * * * * *", run: (run) => { ${RECORD_RUN}; } });
`;
    // "slow" overlaps itself: its skipped ticks are overlaps, not missed ticks
    const gone = `import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { schedule } from "stowage";
schedule({ name: "gone", cron: "* * * * * *", run: (run) => { ${RECORD_RUN}; } });
schedule({ name: "slow", cron: "* * * * * *", run: () => sleep(1500) });
`;
    const args = (dir: string) => ["--scripts", dir, "--namespace", namespace, "--gc-interval", "0"];
    const before = await startReplica(
      "runner-before",
      args(scriptsDir({ "keep.ts": keep, "gone.ts": gone })),
      env,
    );
    await waitFor(
      "the schedules' ticks on the Lease",
      async () =>
        Object.keys(await leaseTicks(cluster, namespace))
          .sort()
          .join() === "gone,keep,slow",
      30_000,
    );
    const skippedAt = (l: Record<string, unknown>) =>
      l.msg === "tick skipped: the previous run is still going" && l.schedule === "slow";
    await waitFor(
      "a slow run started after two skipped overlaps",
      () =>
        before.logs.filter(skippedAt).length >= 2 &&
        before.logs.some(
          (l) =>
            l.msg === "run started" &&
            l.schedule === "slow" &&
            Date.parse(String(l.time)) > Date.parse(String(before.logs.find(skippedAt)?.time)),
        ),
      30_000,
    );
    const slowMetrics = await (await fetch(`${before.url}/metrics`)).text();
    assert.ok(metricValue(slowMetrics, "stowage_schedule_skipped_overlaps_total", "slow") >= 2);
    assert.equal(metricValue(slowMetrics, "stowage_schedule_missed_ticks_total", "slow"), 0);
    assert.ok(
      !before.logs.some((l) => l.msg === "tick missed: no replica ran it"),
      "overlaps reported missed",
    );
    before.child.kill("SIGTERM");
    assert.equal((await before.exited).code, 0, before.stderr());
    const stoppedAt = Date.now();
    // a restart takes some seconds: let at least two ticks of "keep" pass with no runner
    await sleep(Math.max(0, 2100 - (Date.now() - stoppedAt)));

    const after = await startReplica("runner-after", args(scriptsDir({ "keep.ts": keep })), env);
    await waitFor(
      "the removed schedule's entry to leave the Lease",
      async () => Object.keys(await leaseTicks(cluster, namespace)).join() === "keep",
      20_000,
    );
    assert.ok(after.logs.some((l) => l.msg === "dropped the last ticks of schedules no longer defined"));
    await waitFor(
      "a catch-up run of keep",
      () => readRuns(runsFile).some((r) => r.by === "runner-after" && r.trigger === "catch-up"),
      20_000,
    );
    const runs = readRuns(runsFile);
    assert.deepEqual(duplicateRuns(runs), [], "a tick ran more than once");
    assert.equal(runs.filter((r) => r.trigger === "catch-up").length, 1, "one catch-up after the restart");
    after.child.kill("SIGTERM");
    assert.equal((await after.exited).code, 0, after.stderr());
  });
});

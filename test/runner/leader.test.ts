// Two `stowage runner` processes against the real apiserver, one per-second schedule: every tick runs
// exactly once in total, killing the leader hands over within the lease duration, probes and metrics
// answer, malformed scripts are reported by path while the good one runs, SIGTERM releases the Lease.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { tempDir } from "../cli/support.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { type Replica, scriptsDir, startReplica } from "./support.ts";

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

const waitFor = async (what: string, check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

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

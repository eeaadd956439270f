// A smoke run of the bench (tiny population, one round) so `npm run bench` cannot rot. No timing
// assertions: only that every measurement happened, with positive durations and sane ratios.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseBenchArgs } from "../../scripts/bench/args.ts";
import { goals, ratios } from "../../scripts/bench/report.ts";
import { runBench } from "../../scripts/bench/run.ts";
import { memoryEnvOf, runnerMemoryEnv } from "../../scripts/bench/runner-env.ts";
import { waitForQuiet } from "../../scripts/bench/server-cpu.ts";
import type { VariantSummary } from "../../scripts/bench/stats.ts";
import type { Variant } from "../../scripts/bench/types.ts";
import { testEnv } from "../support/env.ts";

const outDir = mkdtempSync(join(tmpdir(), "stowage-bench-smoke-"));
after(() => rmSync(outDir, { recursive: true, force: true }));

test("the bench runs end to end on a tiny population and writes JSON and an SVG", async () => {
  const env = await testEnv();
  const result = await runBench({
    kubeconfig: env.kube.kubeconfig,
    minio: env.minio,
    objects: 60,
    namespaces: 2,
    rounds: 1,
    outDir,
    progress: false,
    serverPids: env.pids,
    // other tests' namespaces may still be deleting: the smoke does not wait long for quiet
    quiet: { windowMs: 500, timeoutMs: 2000 },
  });

  const variants = [
    "raw-list",
    "backup-fs",
    "backup-fs-1-action",
    "backup-fs-10-actions",
    "backup-s3",
    "raw-create",
    "restore-fs",
    "raw-list-runner",
    "backup-fs-runner",
    "restore-fs-runner",
  ];
  const runnerEnv = runnerMemoryEnv();
  assert.deepEqual(result.samples.map((s) => s.variant).sort(), [...variants].sort());
  for (const sample of result.samples) {
    assert.ok(sample.durationMs > 0, `${sample.variant}: duration ${sample.durationMs}`);
    assert.ok(sample.items >= 60, `${sample.variant}: ${sample.items} items`);
    assert.ok(sample.maxRssMb > 0, `${sample.variant}: RSS ${sample.maxRssMb}`);
    assert.ok(sample.cpuMs > 0, `${sample.variant}: CPU ${sample.cpuMs}`);
    if (process.platform === "linux") {
      // every operation talks to the apiserver, which spends CPU on it
      assert.ok(
        (sample.serverCpuMs?.apiserver ?? -1) >= 0,
        `${sample.variant}: ${JSON.stringify(sample.serverCpuMs)}`,
      );
    }
    assert.equal(sample.errors, 0, `${sample.variant}: errors`);
    assert.equal(typeof sample.quietBefore, "boolean", `${sample.variant}: quietBefore`);
    // the runner rows ran with the image's memory settings, the others with the defaults
    assert.deepEqual(
      sample.memoryEnv,
      sample.variant.endsWith("-runner") ? runnerEnv : {},
      `${sample.variant}: memory settings`,
    );
    assert.ok(["ok", "Completed"].includes(sample.phase), `${sample.variant}: phase ${sample.phase}`);
  }
  for (const [name, ratio] of Object.entries(result.ratios))
    assert.ok(Number.isFinite(ratio) && ratio > 0, `ratio ${name} = ${ratio}`);
  for (const s of result.summary) assert.ok(s.itemsPerSecond > 0, `${s.variant} items/s`);
  assert.equal(result.goals.length, 4);
  assert.match(result.table, /client CPU +apiserver CPU +etcd CPU/);

  const json = JSON.parse(readFileSync(result.files.json, "utf8")) as typeof result;
  assert.equal(json.config.objects, 60);
  assert.equal(json.samples.length, variants.length);
  assert.ok(existsSync(result.files.svg));
  const svg = readFileSync(result.files.svg, "utf8");
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\s*$/);
});

test("the runner rows take the memory settings from the Dockerfile's ENV lines", () => {
  const dockerfile = [
    "FROM node:24-bookworm-slim",
    "ENV NODE_ENV=production STOWAGE_SCRIPTS=/scripts NODE_OPTIONS=--max-semi-space-size=16",
    "ENV A=1 \\",
    "    MALLOC_ARENA_MAX=2",
    "RUN echo MALLOC_TOP_PAD_=1",
  ].join("\n");
  assert.deepEqual(memoryEnvOf(dockerfile), {
    NODE_OPTIONS: "--max-semi-space-size=16",
    MALLOC_ARENA_MAX: "2",
  });
  // the real image sets the young-generation cap (README "Performance", runner/README.md "Memory")
  assert.match(runnerMemoryEnv()["NODE_OPTIONS"] ?? "", /--max-semi-space-size=\d+/);
});

test("waitForQuiet tells an idle process from one that keeps a core busy", {
  skip: process.platform !== "linux" && "reads /proc",
}, async () => {
  const idle = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  const busy = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)); // past their start-up
    const calm = await waitForQuiet([idle.pid ?? 0], { windowMs: 500, timeoutMs: 5000 });
    assert.equal(calm.quiet, true);
    assert.ok(calm.waitedMs < 2000, `waited ${calm.waitedMs} ms for an idle process`);
    const loaded = await waitForQuiet([busy.pid ?? 0], { windowMs: 500, timeoutMs: 1500 });
    assert.equal(loaded.quiet, false);
    assert.ok(loaded.waitedMs >= 1500, `gave up after ${loaded.waitedMs} ms`);
  } finally {
    idle.kill("SIGKILL");
    busy.kill("SIGKILL");
  }
});

test("--backup-only: parsed, and a run without restores reports the RSS it measured and n/a for the rest", () => {
  assert.equal(parseBenchArgs(["--backup-only", "--rounds", "8"]).backupOnly, true);
  assert.equal(parseBenchArgs([]).backupOnly, false);
  const summary = (variant: Variant, peakRssMb: number): VariantSummary => ({
    variant,
    rounds: 8,
    items: 130_000,
    medianMs: 1000,
    itemsPerSecond: 130,
    medianCpuMs: 900,
    medianApiserverCpuMs: Number.NaN,
    medianEtcdCpuMs: Number.NaN,
    peakRssMb,
    errors: 0,
  });
  const backupOnly = [
    summary("raw-list", 180),
    summary("backup-fs", 240),
    summary("backup-s3", 260),
    summary("backup-fs-runner", 200),
  ];
  const noRestore = { ...ratios([]), backupVsRawList: 1.2, tenActionsVsNone: 1.01 };
  const [backupGoal, restoreGoal, rssGoal] = goals(100_000, noRestore, backupOnly);
  assert.equal(backupGoal?.met, true);
  assert.equal(restoreGoal?.met, null);
  assert.equal(restoreGoal?.measured, "n/a");
  assert.equal(rssGoal?.met, false, "260 MB measured");
  assert.match(
    rssGoal?.measured ?? "",
    /^260 MB \(runner image settings: 200 MB; raw LIST: 180 MB \/ n\/a\)/,
  );
});

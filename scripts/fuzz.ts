// npm run fuzz — thousands of mutated copies of a real Velero 1.18.3 backup (gzip, tar, item JSON and
// store-file mutations; test/support/fuzz.ts) through the archive reader, and a sample through a real
// restore against a local control plane (test/support/fuzz-run.ts says what is checked).
//
// Starts the control plane like `npm run bench` (scripts/setup kubernetes etcd, then the test env) and
// stops it at the end — also on Ctrl-C. Prints a progress line and the failures with the seed and index
// that replay each; writes a JSON summary to bench-results/. Exit code 1 when anything failed.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../test/support/binaries.ts";
import { type RunningEnv, startEnv } from "../test/support/env.ts";
import { randomSeed } from "../test/support/fuzz.ts";
import {
  DEFAULT_RESTORE_EVERY,
  describeFailures,
  type FuzzSummary,
  type RestoreSampling,
  runFuzz,
} from "../test/support/fuzz-run.ts";

const USAGE = `usage: npm run fuzz -- [--cases N] [--seed S] [--from I] [--restore-every N] [--reader-only] [--memory-mb M] [--out DIR]

  --cases N          cases to run (default 5000)
  --seed S           the run's seed (default: random, printed); case I of seed S is always the same case
  --from I           first case index (default 0): --seed S --from I --cases 1 replays one case
  --restore-every N  restore 1 in N gzip/tar cases against the API server (default 5; JSON, store and
                     combo cases are all restored)
  --reader-only      no control plane: only the archive reader
  --memory-mb M      fail when the process's RSS went above M MB (default 512)
  --out DIR          where the JSON summary goes (default bench-results/)`;

const say = (line: string) => process.stdout.write(`${line}\n`);

const int = (name: string, value: string | undefined, fallback: number, min = 1): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
};

let args: {
  cases: number;
  seed: number;
  from: number;
  restoreEvery: number;
  readerOnly: boolean;
  memoryMb: number;
  out: string;
};
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      cases: { type: "string" },
      seed: { type: "string" },
      from: { type: "string" },
      "restore-every": { type: "string" },
      "reader-only": { type: "boolean" },
      "memory-mb": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    say(USAGE);
    process.exit(0);
  }
  args = {
    cases: int("cases", values.cases, 5000),
    seed: int("seed", values.seed, randomSeed(), 0),
    from: int("from", values.from, 0, 0),
    restoreEvery: int("restore-every", values["restore-every"], DEFAULT_RESTORE_EVERY.tar),
    readerOnly: values["reader-only"] === true,
    memoryMb: int("memory-mb", values["memory-mb"], 512),
    out: values.out ?? join(repoRoot, "bench-results"),
  };
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

let running: RunningEnv | undefined;
let stopping = false;
const interrupt = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n${signal}: stopping the fuzz run and its environment…\n`);
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

const workDir = mkdtempSync(join(tmpdir(), "stowage-fuzz-"));
let summary: FuzzSummary | undefined;
try {
  say(
    `stowage fuzz: seed ${args.seed}, cases ${args.from}…${args.from + args.cases - 1}${args.readerOnly ? ", reader only" : ""}`,
  );
  if (!args.readerOnly) {
    execFileSync("bash", [join(repoRoot, "scripts", "setup"), "kubernetes", "etcd"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    running = await startEnv({ log: (line) => process.stderr.write(`${line}\n`) });
  }
  const restoreEvery: RestoreSampling = {
    ...DEFAULT_RESTORE_EVERY,
    tar: args.restoreEvery,
    gzip: args.restoreEvery,
  };
  const began = Date.now();
  let failed = 0;
  let lastLine = 0;
  summary = await runFuzz({
    runs: [{ seed: args.seed, cases: args.cases, from: args.from }],
    workDir,
    ...(running ? { kubeconfig: running.env.kube.kubeconfig, restoreEvery } : {}),
    sweepEvery: 200,
    onCase: (outcome, done, total) => {
      if (outcome.failures.length) {
        failed++;
        process.stderr.write(
          `\nFAIL seed=${outcome.seed} index=${outcome.index} ${outcome.layer} [${outcome.mutations.join(" | ")}]: ${outcome.failures.map((f) => `${f.kind}: ${f.detail.split("\n")[0]}`).join("; ")}\n`,
        );
      }
      const now = Date.now();
      if (now - lastLine > 1000 || done === total) {
        lastLine = now;
        const rate = done / Math.max((now - began) / 1000, 0.001);
        const rss = process.memoryUsage().rss / 2 ** 20;
        process.stdout.write(
          `\r[${done}/${total}] ${rate.toFixed(1)} cases/s, case ${outcome.index} (${outcome.layer}), failures ${failed}, rss ${rss.toFixed(0)} MB   `,
        );
      }
    },
  });
  say("");
  const memoryOk = summary.peakRssBytes <= args.memoryMb * 2 ** 20;
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `fuzz-${new Date().toISOString().replace(/[:.]/g, "-")}-seed${args.seed}.json`);
  writeFileSync(file, `${JSON.stringify({ ...summary, memoryBoundMb: args.memoryMb, memoryOk }, null, 2)}\n`);
  say(
    `${summary.cases} cases (${summary.restores} restored against the API server) in ${(summary.durationMs / 1000).toFixed(0)} s; ` +
      `peak RSS ${(summary.peakRssBytes / 2 ** 20).toFixed(0)} MB (${summary.peakRssCase}), heap ${(summary.peakHeapUsedBytes / 2 ** 20).toFixed(0)} MB; ` +
      `${summary.sweeps} cluster sweeps over ${summary.objectsSwept} objects (${summary.inScopeWrites} restored objects seen inside the target namespaces)`,
  );
  say(`time in ms: ${JSON.stringify(summary.stepMs)}; slowest case ${JSON.stringify(summary.slowestCase)}`);
  say(`reader:  ${JSON.stringify(summary.reader)}`);
  say(`restore: ${JSON.stringify(summary.restore)}`);
  const top = Object.entries(summary.messages).sort((a, b) => b[1] - a[1]);
  say(`${top.length} distinct refusal and item-error messages; the most frequent:`);
  for (const [message, n] of top.slice(0, 25)) say(`  ${String(n).padStart(5)}  ${message}`);
  if (summary.failures.length || summary.sweepViolations.length) say(`\n${describeFailures(summary)}`);
  if (!memoryOk) say(`memory: peak RSS above ${args.memoryMb} MB`);
  say(`Wrote ${file}`);
  if (summary.failures.length || summary.sweepViolations.length || !memoryOk) process.exitCode = 1;
} catch (error) {
  if (!stopping) {
    process.exitCode = 1;
    process.stderr.write(`fuzz failed: ${(error as Error).stack ?? String(error)}\n`);
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
  if (!stopping) await running?.stop();
}

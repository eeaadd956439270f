// npm run bench — backup/restore throughput against a local control plane and MinIO.
//
// Builds the components if needed (scripts/setup kubernetes etcd minio), starts them, runs the bench
// (scripts/bench/run.ts) and stops them at the end — also on Ctrl-C. Prints a table of medians and
// ratios; JSON and an SVG chart go to bench-results/. Flags: see scripts/bench/args.ts (--help).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../test/support/binaries.ts";
import { type RunningEnv, startEnv } from "../test/support/env.ts";
import { parseBenchArgs, USAGE } from "./bench/args.ts";
import { killWorkers } from "./bench/child.ts";
import { runResticBench } from "./bench/restic.ts";
import { runBench } from "./bench/run.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

let args: ReturnType<typeof parseBenchArgs>;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (args.help) {
  say(USAGE);
  process.exit(0);
}

let running: RunningEnv | undefined;
let stopping = false;
const interrupt = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n${signal}: stopping the bench and its environment…\n`);
  killWorkers();
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
};
process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

try {
  const components = ["kubernetes", "etcd", "minio", ...(args.restic ? ["restic"] : [])];
  execFileSync("bash", [join(repoRoot, "scripts", "setup"), ...components], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  running = await startEnv({ log: (line) => process.stderr.write(`${line}\n`) });
  const { env } = running;
  if (args.restic) {
    const restic = await runResticBench({
      kubeconfig: env.kube.kubeconfig,
      minio: env.minio,
      rounds: args.rounds,
      ...(args.outDir ? { outDir: args.outDir } : {}),
    });
    say(`\n${restic.table}\nWrote ${restic.file}`);
    await running.stop();
    running = undefined;
    process.exit(0);
  }
  say(
    `stowage bench: ${args.objects} objects in ${args.namespaces} namespaces, ${args.rounds} alternating rounds`,
  );
  const result = await runBench({
    kubeconfig: env.kube.kubeconfig,
    minio: env.minio,
    objects: args.objects,
    namespaces: args.namespaces,
    rounds: args.rounds,
    cpuProfile: args.cpuProfile,
    backupOnly: args.backupOnly,
    serverPids: env.pids,
    ...(args.outDir ? { outDir: args.outDir } : {}),
  });
  say(`\n${result.table}\n`);
  say(
    `${result.itemsInNamespaces} items in the bench namespaces; idle worker RSS ${result.idleWorkerRssMb.toFixed(0)} MB; ${result.durationS.toFixed(0)} s in all.`,
  );
  say(`Wrote ${result.files.json}\n      ${result.files.svg}`);
} catch (error) {
  if (!stopping) {
    process.exitCode = 1;
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  }
} finally {
  if (!stopping) await running?.stop();
}

/**
 * One measured operation in its own process, so `maxRSS` is that operation's alone:
 * `node --import tsx scripts/bench/worker.ts '<WorkerRequest JSON>'`. Prints one JSON line
 * (a {@link WorkerResult}) on stdout; exits non-zero on failure.
 */
import { connect } from "stowage";
import { prepare } from "./ops.ts";
import { memoryEnvIn } from "./runner-env.ts";
import { serverCpu, serverCpuSince } from "./server-cpu.ts";
import type { WorkerRequest, WorkerResult } from "./types.ts";

const request = JSON.parse(process.argv[2] ?? "{}") as WorkerRequest;
const cluster = await connect({ kubeconfig: request.kubeconfig });
try {
  const op = await prepare(cluster, request);
  const pids = request.serverPids ?? [];
  const serverBefore = serverCpu(pids);
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  const outcome = await op.run();
  const durationMs = performance.now() - began;
  const cpu = process.cpuUsage(cpuBefore);
  const result: WorkerResult = {
    op: request.op,
    durationMs,
    ...outcome,
    cpuMs: (cpu.user + cpu.system) / 1000,
    serverCpuMs: serverCpuSince(serverBefore, serverCpu(pids)),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    memoryEnv: memoryEnvIn(process.env),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  cluster.close();
}

/**
 * One measured operation in its own process, so `maxRSS` is that operation's alone:
 * `node --import tsx scripts/bench/worker.ts '<WorkerRequest JSON>'`. Prints one JSON line
 * (a {@link WorkerResult}) on stdout; exits non-zero on failure.
 */
import { connect } from "stowage";
import { prepare } from "./ops.ts";
import type { WorkerRequest, WorkerResult } from "./types.ts";

const request = JSON.parse(process.argv[2] ?? "{}") as WorkerRequest;
const cluster = await connect({ kubeconfig: request.kubeconfig });
try {
  const op = await prepare(cluster, request);
  const began = performance.now();
  const outcome = await op.run();
  const durationMs = performance.now() - began;
  const result: WorkerResult = {
    op: request.op,
    durationMs,
    ...outcome,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  cluster.close();
}

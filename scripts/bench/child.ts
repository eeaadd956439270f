/** Runs one {@link WorkerRequest} in a child Node process and returns its {@link WorkerResult}. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../test/support/binaries.ts";
import type { WorkerRequest, WorkerResult } from "./types.ts";

const WORKER = join(repoRoot, "scripts", "bench", "worker.ts");

/** Children still running, killed if the bench is interrupted. */
const running = new Set<import("node:child_process").ChildProcess>();

/** Kills every running worker (on Ctrl-C). */
export const killWorkers = (): void => {
  for (const child of running) child.kill("SIGKILL");
};

/**
 * Spawns `node --import tsx scripts/bench/worker.ts <json>` and parses its last stdout line. `env` is
 * added to this process's environment (e.g. the runner image's `NODE_OPTIONS`).
 */
export const runWorker = (
  request: WorkerRequest,
  extraNodeArgs: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<WorkerResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...extraNodeArgs, "--import", "tsx", WORKER, JSON.stringify(request)],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
    );
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      running.delete(child);
      const line = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) {
        reject(
          new Error(
            `bench worker ${request.op} failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim()}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(line) as WorkerResult);
    });
  });

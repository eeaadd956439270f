/**
 * Runner replicas as real processes: `stowage runner` (lib/cli/bin.js) against the test apiserver, each
 * with its own POD_NAME and metrics port, its JSON log lines collected for assertions.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster } from "../../lib/index.ts";
import { BIN } from "../cli/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { freePort, waitUntil } from "../support/processes.ts";

/** One runner process. */
export interface Replica {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** Lines on stdout that were not JSON (must stay empty). */
  readonly notJson: string[];
  stderr(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A directory holding `files` (name → content), as a mounted ConfigMap would. */
export const scriptsDir = (files: Record<string, string>): string => {
  const dir = mkdtempSync(join(tmpdir(), "stowage-scripts-src-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
};

/** Starts a runner replica named `name` and waits until its /readyz answers 200. */
export const startReplica = async (
  name: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Replica> => {
  const { kube } = await testEnv();
  const port = await freePort();
  const child = spawn(
    process.execPath,
    // `--flag=value`: a copied example script reading process.argv sees no stray positional arguments
    [BIN, "runner", `--kubeconfig=${kube.kubeconfig}`, `--metrics-addr=127.0.0.1:${port}`, ...args],
    {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", POD_NAME: name, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const notJson: string[] = [];
  let stderr = "";
  let partial = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        notJson.push(line);
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(
    `runner ${name} to be ready`,
    async () => {
      if (child.exitCode !== null) return true; // reported below
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      return response?.status === 200;
    },
    { timeoutMs: 60_000 },
  );
  if (child.exitCode !== null) throw new Error(`runner ${name} exited ${child.exitCode}:\n${stderr}`);
  return { name, url, child, logs, notJson, stderr: () => stderr, exited };
};

/** Polls `check` every 100 ms until it holds; fails after `timeoutMs` with `what` (and `detail()`). */
export const waitFor = async (
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  detail: () => string = () => "",
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${detail() ? `\n${detail()}` : ""}`);
    await sleep(100);
  }
};

/** One run, as the test scripts append it to RUNS_FILE: `schedule tick replica trigger`. */
export interface RunLine {
  readonly schedule: string;
  readonly at: number;
  readonly by: string;
  readonly trigger: string;
}

/** The line a test script appends at the start of each run (TypeScript source, inside a template). */
export const RECORD_RUN =
  'appendFileSync(process.env.RUNS_FILE as string, [run.schedule, run.scheduledAt.toISOString(), process.env.POD_NAME, run.trigger].join(" ") + "\\n")';

/** The runs recorded in `file`. */
export const readRuns = (file: string): RunLine[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [schedule = "", at = "", by = "", trigger = ""] = line.split(" ");
      return { schedule, at: new Date(at).getTime(), by, trigger };
    });

/** `schedule@tick` keys that appear more than once in `runs`. */
export const duplicateRuns = (runs: readonly RunLine[]): string[] => {
  const seen = new Map<string, number>();
  for (const r of runs) {
    const key = `${r.schedule}@${new Date(r.at).toISOString()}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`);
};

/** The runner Lease's `stowage.dev/ticks` annotation (schedule → last claimed tick). */
export const leaseTicks = async (cluster: Cluster, namespace: string): Promise<Record<string, string>> => {
  const lease = await cluster.tryGet("leases.coordination.k8s.io", "stowage-runner", { namespace });
  const raw = lease?.metadata?.annotations?.["stowage.dev/ticks"];
  return raw ? (JSON.parse(raw) as Record<string, string>) : {};
};

/** The holder of the runner Lease. */
export const leaseHolder = async (cluster: Cluster, namespace: string): Promise<string | undefined> => {
  const lease = await cluster.tryGet("leases.coordination.k8s.io", "stowage-runner", { namespace });
  return (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? undefined;
};

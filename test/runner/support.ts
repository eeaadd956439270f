/**
 * Runner replicas as real processes: `stowage runner` (lib/cli/bin.js) against the test apiserver, each
 * with its own POD_NAME and metrics port, its JSON log lines collected for assertions.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    [BIN, "runner", "--kubeconfig", kube.kubeconfig, "--metrics-addr", `127.0.0.1:${port}`, ...args],
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

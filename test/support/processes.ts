import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** A started component: its process, its log file, and how to stop it. */
export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Last lines of its log, for error messages. */
  tail(lines?: number): string;
}

/**
 * Supervision for the processes one harness starts. A detached watchdog kills every registered pid
 * (TERM, then KILL) as soon as the owning process disappears, even when it was SIGKILLed; signal
 * handlers and an exit hook stop them synchronously on SIGINT/SIGTERM/exit.
 */
export class Supervisor {
  readonly #dir: string;
  readonly #pidFile: string;
  readonly #children: Started[] = [];
  #stopped = false;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.killAllSync();
    process.kill(process.pid, signal);
  };
  readonly #onExit = () => this.killAllSync();

  constructor(dir: string) {
    this.#dir = dir;
    this.#pidFile = join(dir, "pids");
    writeFileSync(this.#pidFile, "");
    const watchdog = spawn(
      "bash",
      [
        "-c",
        `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.5; done
         pids=$(cat "${this.#pidFile}" 2>/dev/null); [ -n "$pids" ] && kill -TERM $pids 2>/dev/null
         sleep 3; [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
         rm -rf "${dir}"`,
      ],
      { detached: true, stdio: "ignore" },
    );
    watchdog.unref();
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, this.#onSignal);
    process.once("exit", this.#onExit);
  }

  /** Starts `command`, logging to `<dir>/<name>.log`, and registers it for cleanup. */
  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Started {
    const logFile = join(this.#dir, `${name}.log`);
    const fd = openSync(logFile, "a");
    const child = spawn(command, args, { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
    if (child.pid) appendFileSync(this.#pidFile, `${child.pid}\n`);
    const started: Started = {
      name,
      child,
      logFile,
      tail: (lines = 20) => {
        try {
          return readFileSync(logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
        } catch {
          return "";
        }
      },
    };
    this.#children.push(started);
    return started;
  }

  get pids(): number[] {
    return this.#children.map((c) => c.child.pid ?? 0).filter(Boolean);
  }

  /** Kills everything now (used from signal handlers). */
  killAllSync(): void {
    for (const c of this.#children) {
      if (c.child.exitCode === null && c.child.signalCode === null) {
        try {
          c.child.kill("SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
  }

  /** Stops every process: TERM in reverse start order, KILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.off(signal, this.#onSignal);
    process.off("exit", this.#onExit);
    for (const c of [...this.#children].reverse()) {
      if (c.child.exitCode !== null || c.child.signalCode !== null) continue;
      const exited = new Promise((resolve) => c.child.once("exit", resolve));
      c.child.kill("SIGTERM");
      const timer = sleep(graceMs).then(() => "timeout");
      if ((await Promise.race([exited, timer])) === "timeout") {
        c.child.kill("SIGKILL");
        await exited;
      }
    }
  }
}

/**
 * Polls `probe` every `intervalMs` until it returns true; fails with the component's log tail when
 * the process exits or `timeoutMs` passes.
 */
export const waitUntil = async (
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; process?: Started } = {},
): Promise<void> => {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError = "";
  while (Date.now() < deadline) {
    const proc = options.process;
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(
        `${what}: ${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}); log:\n${proc.tail()}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(options.intervalMs ?? 150);
  }
  throw new Error(
    `${what}: not ready after ${options.timeoutMs ?? 60_000} ms (${lastError})${options.process ? `; log:\n${options.process.tail()}` : ""}`,
  );
};

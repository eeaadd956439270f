/**
 * One restic process (execa): the command's environment plus the repository's key as `RESTIC_PASSWORD`
 * and the backend's secret variables, nothing on the command line; stdout read line by line for the JSON
 * summary and progress; anything secret redacted from what comes back. Inherited `RESTIC_*` variables
 * are dropped so a user's shell settings cannot point restic elsewhere.
 */
import type { ResticCommand } from "./commands.ts";
import type { Repository } from "./driver.ts";
import { ResticError, redact } from "./output.ts";

/** What one restic process did. */
export interface ResticRun {
  readonly exitCode: number;
  /** stdout, when `collectStdout` was set (`snapshots --json` prints one JSON array). */
  readonly stdout: string;
  /** The last `message_type: summary` object restic printed. */
  readonly summary: Record<string, unknown> | undefined;
  readonly stderr: string;
}

/** Options of {@link runRestic}. */
export interface RunOptions {
  /** Kills restic (SIGTERM, then SIGKILL after 10 s). */
  readonly signal?: AbortSignal;
  /** Keep stdout (`snapshots --json` prints one JSON array). @default false */
  readonly collectStdout?: boolean;
  /** Every JSON line restic prints (status lines: progress). */
  readonly onJson?: (line: Record<string, unknown>) => void;
}

const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("RESTIC_")) env[key] = value;
  }
  return env;
};

/** Runs `restic <command.args>`; resolves with its exit code and output, whatever the exit code. */
export const runRestic = async (
  resticPath: string,
  command: ResticCommand,
  repository: Repository,
  runOptions: RunOptions = {},
): Promise<ResticRun> => {
  // loaded on first use: execa and its dependencies are not needed by runs without pod volumes
  const { execa } = await import("execa");
  const password = repository.key.reveal();
  const child = execa(resticPath, [...command.args], {
    ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
    env: { ...cleanEnv(), ...command.env, ...repository.address.secretEnv, RESTIC_PASSWORD: password },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 4 * 1024 * 1024 },
    forceKillAfterDelay: 10_000,
    ...(runOptions.signal ? { cancelSignal: runOptions.signal } : {}),
  });
  let stdout = "";
  let pending = "";
  let summary: Record<string, unknown> | undefined;
  const onLine = (line: string) => {
    if (!line.startsWith("{")) return;
    try {
      const value = JSON.parse(line) as Record<string, unknown>;
      if (value.message_type === "summary") summary = value;
      runOptions.onJson?.(value);
    } catch {
      // not a JSON line
    }
  };
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    if (runOptions.collectStdout) stdout += chunk;
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line.trim());
  });
  const result = await child;
  if (pending.trim()) onLine(pending.trim());
  const secrets = [password, ...Object.values(repository.address.secretEnv)];
  const stderr = redact(String(result.stderr ?? ""), secrets);
  if (result.exitCode === undefined) {
    if (result.isCanceled) {
      throw new ResticError(
        "interrupted",
        `restic ${command.operation} for namespace ${command.namespace} was cancelled`,
        {
          exitCode: 130,
          namespace: command.namespace,
        },
      );
    }
    if (result.code === "ENOENT" || result.code === "EACCES") {
      throw new ResticError(
        "not-found",
        `restic could not be started from "${resticPath}" (${result.code}): is restic on PATH? set \`resticPath\``,
        { exitCode: 127, namespace: command.namespace },
      );
    }
    throw new ResticError(
      "failed",
      `restic ${command.operation} for namespace ${command.namespace} ended abnormally: ${redact(result.shortMessage ?? "unknown", secrets)}`,
      { exitCode: 1, namespace: command.namespace },
    );
  }
  return { exitCode: result.exitCode, stdout: redact(stdout, secrets), summary, stderr };
};

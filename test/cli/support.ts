/**
 * Drives the real `stowage` executable (lib/cli/bin.js) as a child process, as a user's shell would:
 * a clean environment (no KUBECONFIG, STOWAGE_* or AWS_* leaking in from the test runner), a temp
 * config file, stdin that is not a terminal.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { repoRoot } from "../support/binaries.ts";
import { testEnv } from "../support/env.ts";
import { uniqueSuffix } from "../support/kube.ts";
import { minioClientConfig } from "../support/minio.ts";

/** The executable `package.json` "bin" points at. */
export const BIN = join(repoRoot, "lib", "cli", "bin.js");

/** What one run of the CLI did. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link stowage}. */
export interface CliOptions {
  /** Variables on top of the clean environment; `undefined` removes one. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Text fed to stdin (stdin is a pipe, never a terminal). */
  readonly input?: string;
}

/** A fresh temp directory. */
export const tempDir = (prefix = "stowage-cli-"): string => mkdtempSync(join(tmpdir(), prefix));

/** The runner's environment without anything that would point the CLI somewhere else. */
const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (key === "KUBECONFIG" || key.startsWith("STOWAGE_") || key.startsWith("AWS_")) continue;
    env[key] = value;
  }
  return env;
};

/**
 * Runs `stowage ARGS…` on a pseudo-terminal (util-linux `script`), answering `answer` when asked
 * "(Y/N)?". Resolves to everything the terminal showed; rejects unless the CLI exits 0.
 */
export const onTerminal = (args: readonly string[], answer?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const quote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;
    const command = [process.execPath, BIN, ...args].map(quote).join(" ");
    const env = cleanEnv();
    env.STOWAGE_CONFIG = join(tempDir(), "config.json");
    const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: tempDir(), env, stdio: "pipe" });
    let screen = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      screen += chunk;
      if (answer !== undefined && screen.includes("(Y/N)? ")) {
        child.stdin.write(`${answer}\r`);
        answer = undefined;
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      screen += chunk;
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0
        ? resolve(screen)
        : reject(new Error(`stowage ${args.join(" ")} exited ${code}:\n${screen}`)),
    );
  });

/** Runs `stowage ARGS…` and collects its exit code and output. Never rejects on a non-zero exit. */
export const stowage = (args: readonly string[], options: CliOptions = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const env = cleanEnv();
    env.STOWAGE_CONFIG = join(tempDir(), "config.json"); // never the user's ~/.config
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? tempDir(),
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });

/** The environment that lets the CLI reach the shared MinIO through the AWS chain. */
export const minioEnv = async (): Promise<Record<string, string>> => {
  const { minio } = await testEnv();
  return {
    AWS_ACCESS_KEY_ID: minio.accessKey,
    AWS_SECRET_ACCESS_KEY: minio.secretKey,
    AWS_REGION: minio.region,
  };
};

/** Creates a fresh bucket on the shared MinIO; returns its name. */
export const tempBucket = async (): Promise<string> => {
  const { minio } = await testEnv();
  const bucket = `stowage-cli-${uniqueSuffix()}`;
  const client = new S3Client(minioClientConfig({ ...minio, region: "us-east-1" }));
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
};

/** True when the text holds a JavaScript stack trace. */
export const hasStackTrace = (text: string): boolean => /^\s+at .+[:(]/m.test(text);

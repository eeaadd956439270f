import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { requireBinary } from "./binaries.ts";
import { freePort, type Started, type Supervisor, waitUntil } from "./processes.ts";

/** A running MinIO (single drive) on a loopback port. */
export interface MinioServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly process: Started;
}

/** Starts MinIO with a fresh data dir under `dir`; buckets are created by the tests that need them. */
export const startMinioServer = async (supervisor: Supervisor, dir: string): Promise<MinioServer> => {
  const bin = requireBinary("MINIO");
  const [port, consolePort] = await Promise.all([freePort(), freePort()]);
  const data = join(dir, "minio-data");
  mkdirSync(data, { recursive: true });
  const accessKey = `stowage-${randomBytes(4).toString("hex")}`;
  const secretKey = randomBytes(18).toString("base64url");
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = supervisor.start(
    "minio",
    bin,
    [
      "server",
      data,
      "--address",
      `127.0.0.1:${port}`,
      "--console-address",
      `127.0.0.1:${consolePort}`,
      "--quiet",
    ],
    { MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: "off", MINIO_UPDATE: "off" },
  );
  await waitUntil("MinIO", async () => (await fetch(`${endpoint}/minio/health/ready`)).ok, {
    process: proc,
    timeoutMs: 60_000,
  });
  return { endpoint, region: "us-east-1", accessKey, secretKey, process: proc };
};

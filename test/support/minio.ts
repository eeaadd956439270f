/**
 * A private MinIO for one test file: fresh data dir, random root credentials, loopback ports.
 * `stop()` terminates it (SIGTERM, SIGKILL after 5 s) and removes the data dir; if the test process
 * exits or is killed first, the Supervisor's exit/signal hooks and watchdog take it down.
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { componentPaths } from "./binaries.ts";
import { startMinioServer } from "./minio-server.ts";
import { Supervisor } from "./processes.ts";

/** A running MinIO. */
export interface Minio {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: "us-east-1";
  /** The data directory (removed by `stop()`). */
  readonly dataDir: string;
  /** Creates a bucket (optionally with object lock enabled). */
  createBucket(name: string, options?: { objectLock?: boolean }): Promise<void>;
  /** An S3Client config for this server: path style, WHEN_REQUIRED checksums, the root credentials. */
  clientConfig(): S3ClientConfig;
  /** Stops MinIO and removes its data dir; safe to call twice. */
  stop(): Promise<void>;
}

/** Where `scripts/setup` puts the MinIO binary. */
export const minioPath = (): string => componentPaths().MINIO;

/** S3Client settings that work against MinIO (and other S3-compatibles). */
export const minioClientConfig = (minio: Pick<Minio, "endpoint" | "accessKey" | "secretKey" | "region">) =>
  ({
    region: minio.region,
    endpoint: minio.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  }) satisfies S3ClientConfig;

/** Starts MinIO and creates `buckets`. Throws (the test FAILS, never skips) when the binary is missing. */
export const startMinio = async (options: { buckets?: readonly string[] } = {}): Promise<Minio> => {
  const dir = mkdtempSync(join(tmpdir(), "stowage-minio-"));
  const dataDir = join(dir, "minio-data");
  const supervisor = new Supervisor(dir);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await supervisor.stop(5000);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const server = await startMinioServer(supervisor, dir);
    const info = {
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: "us-east-1" as const,
    };
    const createBucket = async (name: string, bucketOptions: { objectLock?: boolean } = {}) => {
      const client = new S3Client(minioClientConfig(info));
      try {
        await client.send(
          new CreateBucketCommand({
            Bucket: name,
            ...(bucketOptions.objectLock ? { ObjectLockEnabledForBucket: true } : {}),
          }),
        );
      } finally {
        client.destroy();
      }
    };
    for (const bucket of options.buckets ?? []) await createBucket(bucket);
    return { ...info, dataDir, createBucket, clientConfig: () => minioClientConfig(info), stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** Shared pieces of the pod-volume tests: an S3 location with its restic backend, and the restic binary. */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { type Cluster, type ObjectStore, type S3StoreOptions, s3Store } from "../../lib/index.ts";
import { type ResticBackend, resticBackend } from "../../lib/podvolume/backend.ts";
import { requireBinary } from "../support/binaries.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { uniqueSuffix } from "../support/kube.ts";
import { minioClientConfig } from "../support/minio.ts";
import { type NodePlayer, startNodePlayer } from "../support/node-player.ts";

/** A fresh bucket on the shared MinIO: its store (prefix `velero`) and its restic backend. */
export const tempS3Location = async (): Promise<{
  store: ObjectStore;
  backend: ResticBackend;
  options: S3StoreOptions;
}> => {
  const env = await testEnv();
  const bucket = `stowage-pv-${uniqueSuffix()}`;
  const client = new S3Client(minioClientConfig({ ...env.minio, region: "us-east-1" }));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const options: S3StoreOptions = {
    bucket,
    prefix: "velero",
    region: env.minio.region,
    endpoint: env.minio.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: env.minio.accessKey, secretAccessKey: env.minio.secretKey },
  };
  return { store: s3Store(options), backend: await resticBackend({ s3: options }), options };
};

/** The real restic 0.18.1 (fails the test, never skips, when it is missing). */
export const resticPath = (): string => requireBinary("RESTIC");

/** A temp directory removed after the test file. */
export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `stowage-${prefix}-`));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

/** The image whose containers the harness node runs as local processes. */
export const IMAGE = "stowage:test";

/** A harness node running `IMAGE` containers with the real restic (stopped after the file). */
export const harnessNode = async (
  cluster: Cluster,
  schedule: readonly string[] = [],
): Promise<NodePlayer> => {
  const node = await startNodePlayer({
    cluster,
    kubeletDir: tempDir("kubelet"),
    runImages: [IMAGE],
    path: [dirname(resticPath())],
    schedule,
  });
  onCleanup(() => node.stop());
  return node;
};

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { fsStore, type ObjectStore, s3Store } from "../../lib/index.ts";
import { testEnv } from "./env.ts";
import { uniqueSuffix } from "./kube.ts";
import { minioClientConfig } from "./minio.ts";

/** A fresh directory store in a temp dir. */
export const tempFsStore = (): ObjectStore => fsStore(mkdtempSync(join(tmpdir(), "stowage-store-")));

/** A fresh bucket on the shared MinIO, as an s3Store with a prefix (like a real backup location). */
export const tempS3Store = async (prefix = "velero"): Promise<ObjectStore> => {
  const env = await testEnv();
  const bucket = `stowage-${uniqueSuffix()}`;
  const client = new S3Client(minioClientConfig({ ...env.minio, region: "us-east-1" }));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return s3Store({
    bucket,
    prefix,
    region: env.minio.region,
    endpoint: env.minio.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: env.minio.accessKey, secretAccessKey: env.minio.secretKey },
  });
};

/** Both store kinds, for tests that must hold on each. */
export const eachStore = async (): Promise<Array<[string, ObjectStore]>> => [
  ["directory", tempFsStore()],
  ["MinIO", await tempS3Store()],
];

/**
 * Options of `s3Store`: the public shape with its defaults, the one normaliser that applies and checks
 * them, and the S3Client built from the result.
 */
import { Agent } from "node:https";
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { ConfigError, describeValue } from "../errors.ts";
import { credentialsFromFile } from "./aws-credentials.ts";
import { validateKey } from "./keys.ts";
import { redactEndpoint } from "./s3-errors.ts";

/** Credentials accepted by {@link S3StoreOptions.credentials}: static keys or an SDK credentials provider. */
export type S3Credentials = NonNullable<S3ClientConfig["credentials"]>;

/** Checksum algorithms S3 accepts for uploads. */
export type S3ChecksumAlgorithm = "CRC32" | "CRC32C" | "SHA1" | "SHA256" | "CRC64NVME";

/** Options of `s3Store`. Everything but `bucket` is optional. */
export interface S3StoreOptions {
  /** Bucket name; no `/` (put sub-paths in `prefix`). Leading and trailing `/` are trimmed. */
  readonly bucket: string;
  /**
   * Key prefix that is the store's root (Velero's BSL `prefix`); leading and trailing `/` are trimmed.
   * @default "" (the bucket's root)
   */
  readonly prefix?: string;
  /**
   * AWS region.
   * @default the SDK chain (AWS_REGION, then the profile's region); "us-east-1" when `endpoint` or AWS_ENDPOINT_URL(_S3) is set and no region is configured
   */
  readonly region?: string;
  /**
   * Endpoint URL of an S3-compatible service, e.g. `http://127.0.0.1:9000` (Velero's `s3Url`).
   * @default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS S3
   */
  readonly endpoint?: string;
  /**
   * Address buckets as `https://host/bucket/key` instead of `https://bucket.host/key`; most S3-compatibles need it.
   * @default false
   */
  readonly forcePathStyle?: boolean;
  /**
   * Credentials to sign requests with.
   * @default the standard AWS chain (env, SSO, web identity, shared files, instance/container metadata)
   */
  readonly credentials?: S3Credentials;
  /**
   * Profile of the shared config/credentials files to use.
   * @default AWS_PROFILE, then "default"
   */
  readonly profile?: string;
  /**
   * An AWS credentials file to read static keys from (Velero's `credentialsFile`); `profile` picks the section.
   * @default none (the standard chain)
   */
  readonly credentialsFile?: string;
  /**
   * Endpoint used in signed URLs instead of `endpoint`, for clients outside the network (Velero's `publicUrl`).
   * @default `endpoint`
   */
  readonly publicEndpoint?: string;
  /**
   * Skip TLS certificate verification. For testing only.
   * @default false
   */
  readonly insecureSkipTLSVerify?: boolean;
  /**
   * PEM CA bundle to trust for the endpoint's certificate (Velero's `caCert`).
   * @default the system trust store
   */
  readonly caCert?: string;
  /**
   * Checksum to send with uploads. Velero's AWS plugin defaults to CRC32; Stowage sends none by default
   * because several S3-compatible services reject flexible checksums.
   * @default none
   */
  readonly checksumAlgorithm?: S3ChecksumAlgorithm;
  /**
   * Server-side encryption (`AES256`, `aws:kms`). Setting `kmsKeyId` implies `aws:kms`.
   * @default none (the bucket's default encryption)
   */
  readonly serverSideEncryption?: string;
  /**
   * KMS key ID or ARN for `aws:kms` server-side encryption.
   * @default none
   */
  readonly kmsKeyId?: string;
  /**
   * Tags for every uploaded object, URL-encoded (`key1=value1&key2=value2`).
   * @default none
   */
  readonly tagging?: string;
  /**
   * Multipart part size in bytes (minimum 5 MiB).
   * @default 8388608 (8 MiB)
   */
  readonly partSize?: number;
  /**
   * Parts uploaded concurrently; memory use is about `queueSize × partSize`.
   * @default 2
   */
  readonly queueSize?: number;
  /**
   * An existing client to use. When given, the connection options above (region, endpoint, credentials,
   * profile, TLS) are not used, except `publicEndpoint`, which is ignored too.
   * @default a client built from the options
   */
  readonly client?: S3Client;
}

const MIB = 1024 * 1024;
const CHECKSUMS: readonly string[] = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"];

const fail = (message: string): never => {
  throw new ConfigError(`s3Store: ${message}`);
};

/** Copies and validates the options, applying every default in one place. */
export const normalizeS3Options = (input: S3StoreOptions) => {
  if (typeof input !== "object" || input === null)
    fail(`expected an options object, got ${describeValue(input)}`);
  const o = { ...input };
  if (typeof o.bucket !== "string" || o.bucket.replace(/^\/+|\/+$/g, "") === "") {
    fail(`expected \`bucket\` to be a bucket name such as "my-backups", got ${describeValue(o.bucket)}`);
  }
  const bucket = o.bucket.replace(/^\/+|\/+$/g, "");
  if (bucket.includes("/") && !bucket.startsWith("arn:aws:s3:")) {
    fail(`bucket "${o.bucket}" must not contain a '/': if using a prefix, put it in \`prefix\` instead`);
  }
  if (o.prefix !== undefined && typeof o.prefix !== "string") {
    fail(`expected \`prefix\` to be a string, got ${describeValue(o.prefix)}`);
  }
  const prefix = (o.prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix !== "") validateKey(prefix);
  const partSize = o.partSize ?? 8 * MIB;
  if (!Number.isInteger(partSize) || partSize < 5 * MIB) {
    fail(
      `expected \`partSize\` to be at least 5242880 bytes (5 MiB, S3's minimum), got ${describeValue(o.partSize)}`,
    );
  }
  const queueSize = o.queueSize ?? 2;
  if (!Number.isInteger(queueSize) || queueSize < 1) {
    fail(`expected \`queueSize\` to be a positive integer, got ${describeValue(o.queueSize)}`);
  }
  if (o.checksumAlgorithm !== undefined && !CHECKSUMS.includes(o.checksumAlgorithm)) {
    fail(
      `expected \`checksumAlgorithm\` to be one of ${CHECKSUMS.join(", ")}, got ${describeValue(o.checksumAlgorithm)}`,
    );
  }
  for (const name of ["endpoint", "publicEndpoint"] as const) {
    const value = o[name];
    if (value !== undefined && !URL.canParse(value)) {
      fail(`expected \`${name}\` to be a URL such as "https://s3.example.com", got ${describeValue(value)}`);
    }
  }
  const envEndpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
  const hasRegion = Boolean(o.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
  const region = o.region || (!hasRegion && (o.endpoint || envEndpoint) ? "us-east-1" : undefined);
  const shownEndpoint = o.endpoint ?? envEndpoint;
  return {
    ...o,
    bucket,
    prefix,
    root: prefix === "" ? "" : `${prefix}/`,
    partSize,
    queueSize,
    region,
    endpointForMessages: shownEndpoint
      ? redactEndpoint(shownEndpoint)
      : `AWS S3${region ? ` (${region})` : ""}`,
  };
};

/** Options after {@link normalizeS3Options}. */
export type ResolvedS3Options = ReturnType<typeof normalizeS3Options>;

/** Builds an S3Client from resolved options; `endpoint` overrides the configured one (for `publicEndpoint`). */
export const buildS3Client = async (o: ResolvedS3Options, endpoint = o.endpoint): Promise<S3Client> => {
  const { S3Client } = await import("./s3-sdk.ts");
  const config: S3ClientConfig = {
    // MinIO and other S3-compatibles reject or mishandle the SDK's default flexible checksums.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    followRegionRedirects: true,
  };
  // Keys are only set when given: an explicit `endpoint: undefined` must not hide AWS_ENDPOINT_URL_S3.
  if (o.region) config.region = o.region;
  if (endpoint) config.endpoint = endpoint;
  if (o.forcePathStyle !== undefined) config.forcePathStyle = o.forcePathStyle;
  if (o.profile) config.profile = o.profile;
  if (o.credentials) config.credentials = o.credentials;
  else if (o.credentialsFile) config.credentials = credentialsFromFile(o.credentialsFile, o.profile);
  if (o.insecureSkipTLSVerify || o.caCert) {
    config.requestHandler = {
      httpsAgent: new Agent({
        keepAlive: true,
        rejectUnauthorized: !o.insecureSkipTLSVerify,
        ...(o.caCert ? { ca: o.caCert } : {}),
      }),
    };
  }
  return new S3Client(config);
};

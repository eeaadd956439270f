/**
 * The built-in `velero.io/aws` provider: a Velero AWS BackupStorageLocation config map turned into
 * `s3Store` options. Keys mirror velero-plugin-for-aws 1.14.
 *
 * Supported: region, s3Url, publicUrl, s3ForcePathStyle, profile, credentialsFile, insecureSkipTLSVerify,
 * checksumAlgorithm, serverSideEncryption, kmsKeyId, tagging, caCert.
 * Accepted and ignored: enableSharedConfig (shared config files are always read), signatureVersion other
 * than "1". Refused with a ConfigError (rather than silently storing unencrypted data):
 * customerKeyEncryptionFile, customerKeyEncryptionSecret (SSE-C), signatureVersion "1" (SigV2).
 *
 * Differences from the Go plugin: with neither region nor s3Url, the region comes from the SDK chain
 * (AWS_REGION, the profile) and requests follow S3's region redirects, instead of a GetBucketRegion call;
 * and no checksum is sent unless checksumAlgorithm is set (the plugin defaults to CRC32).
 */
import { ConfigError } from "../errors.ts";
import { parseConfigBool } from "../util/go-bool.ts";
import type { ObjectStore } from "./object-store.ts";
import type { ResolvedLocation } from "./provider-types.ts";
import { type S3ChecksumAlgorithm, type S3StoreOptions, s3Store } from "./s3-store.ts";

/** Config keys of Velero's AWS object store plugin, in its order. */
export const AWS_CONFIG_KEYS = [
  "region",
  "s3Url",
  "publicUrl",
  "kmsKeyId",
  "customerKeyEncryptionFile",
  "customerKeyEncryptionSecret",
  "s3ForcePathStyle",
  "signatureVersion",
  "credentialsFile",
  "profile",
  "serverSideEncryption",
  "insecureSkipTLSVerify",
  "enableSharedConfig",
  "tagging",
  "checksumAlgorithm",
] as const;

const CHECKSUMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"];

/** The `s3Store` options for a validated `velero.io/aws` location. */
export const awsStoreOptions = (location: ResolvedLocation): S3StoreOptions => {
  const { provider, config } = location;
  for (const key of ["customerKeyEncryptionFile", "customerKeyEncryptionSecret"] as const) {
    if (config[key]) {
      throw new ConfigError(
        `${provider}: ${key} (SSE-C) is not supported by Stowage yet: remove it, or use kmsKeyId / serverSideEncryption`,
      );
    }
  }
  if (config.signatureVersion === "1") {
    throw new ConfigError(
      `${provider}: signatureVersion "1" (SigV2) is not supported: remove it to sign with SigV4`,
    );
  }
  const checksum = config.checksumAlgorithm;
  if (checksum !== undefined && checksum !== "" && !CHECKSUMS.includes(checksum)) {
    throw new ConfigError(
      `${provider}: invalid checksumAlgorithm "${checksum}": expected one of ${CHECKSUMS.join(", ")}, or "" for none`,
    );
  }
  const forcePathStyle = parseConfigBool(provider, "s3ForcePathStyle", config.s3ForcePathStyle);
  const insecure = parseConfigBool(provider, "insecureSkipTLSVerify", config.insecureSkipTLSVerify);
  const pick = (key: string): string | undefined => (config[key] ? config[key] : undefined);
  const options: Record<string, unknown> = {
    bucket: location.bucket,
    prefix: location.prefix,
    region: pick("region"),
    endpoint: pick("s3Url"),
    publicEndpoint: pick("publicUrl"),
    forcePathStyle,
    profile: pick("profile"),
    credentialsFile: pick("credentialsFile"),
    insecureSkipTLSVerify: insecure,
    caCert: location.caCert,
    checksumAlgorithm: checksum ? (checksum as S3ChecksumAlgorithm) : undefined,
    serverSideEncryption: pick("serverSideEncryption"),
    kmsKeyId: pick("kmsKeyId"),
    tagging: pick("tagging"),
  };
  // exactOptionalPropertyTypes: leave unset options out instead of passing undefined.
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as unknown as S3StoreOptions;
};

/** The `velero.io/aws` provider. */
export const awsProvider = {
  validKeys: AWS_CONFIG_KEYS,
  create: (location: ResolvedLocation): ObjectStore => s3Store(awsStoreOptions(location)),
};

/**
 * Where backups are kept, from the CLI's point of view: a directory, an `s3://bucket/prefix` URL, or a
 * named backup location from the config file. Turned into an ObjectStore with the SDK's `fsStore`,
 * `s3Store` and `openLocation`; credentials always come from the AWS chain.
 */
import {
  type BackupLocation,
  DEFAULT_STORE_DIR as DEFAULT_DIR,
  fsStore,
  type ObjectStore,
  openLocation,
  parseStoreAddress,
  type StoreAddress,
  s3Store,
} from "../store/index.ts";
import type { StoredLocation } from "./config-file.ts";
import { UsageError } from "./errors.ts";

/** A store chosen by the settings, before it is opened. */
export type StoreTarget =
  | { readonly kind: "directory"; readonly path: string }
  | {
      readonly kind: "s3";
      readonly bucket: string;
      readonly prefix: string;
      readonly endpoint: string | undefined;
      readonly region: string | undefined;
    }
  | { readonly kind: "location"; readonly name: string; readonly location: StoredLocation };

/** The default store when nothing else is configured. */
export const DEFAULT_STORE_DIR = DEFAULT_DIR;

/**
 * Parses `--store`: `s3://bucket[/prefix]`, `file:///dir`, or a directory path.
 * `endpoint` and `region` apply to `s3://` stores.
 */
export const parseStoreSpec = (
  spec: string,
  s3: { endpoint: string | undefined; region: string | undefined },
  command: readonly string[] = [],
): StoreTarget => {
  let address: StoreAddress;
  try {
    address = parseStoreAddress(spec);
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
  return address.kind === "s3" ? { ...address, endpoint: s3.endpoint, region: s3.region } : address;
};

/** The SDK location of a stored one (drops nothing; `prefix` and `config` only when set). */
export const toBackupLocation = (location: StoredLocation): BackupLocation => ({
  provider: location.provider,
  bucket: location.bucket,
  ...(location.prefix ? { prefix: location.prefix } : {}),
  ...(location.config ? { config: location.config } : {}),
});

/** Opens the store of a target. Does no I/O. */
export const openStoreTarget = (target: StoreTarget): ObjectStore => {
  switch (target.kind) {
    case "directory":
      return fsStore(target.path);
    case "s3":
      return s3Store({
        bucket: target.bucket,
        prefix: target.prefix,
        ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
        ...(target.region ? { region: target.region } : {}),
      });
    case "location":
      return openLocation(toBackupLocation(target.location));
  }
};

/**
 * The target as `STOWAGE_STORE` / `STOWAGE_S3_ENDPOINT` / `STOWAGE_REGION` values for a child process,
 * when it can be written that way (directories, `s3://`, and `file` / `aws` locations).
 */
export const storeEnvironment = (target: StoreTarget): Record<string, string> => {
  switch (target.kind) {
    case "directory":
      return { STOWAGE_STORE: target.path };
    case "s3":
      return {
        STOWAGE_STORE: `s3://${target.bucket}${target.prefix ? `/${target.prefix}` : ""}`,
        ...(target.endpoint ? { STOWAGE_S3_ENDPOINT: target.endpoint } : {}),
        ...(target.region ? { STOWAGE_REGION: target.region } : {}),
      };
    case "location": {
      const { provider, bucket, prefix, config = {} } = target.location;
      const bare = provider.replace(/^velero\.io\//, "");
      if (bare === "file") return { STOWAGE_STORE: prefix ? `${bucket}/${prefix}` : bucket };
      if (bare !== "aws") return {};
      return {
        STOWAGE_STORE: `s3://${bucket}${prefix ? `/${prefix}` : ""}`,
        ...(config.s3Url ? { STOWAGE_S3_ENDPOINT: config.s3Url } : {}),
        ...(config.region ? { STOWAGE_REGION: config.region } : {}),
      };
    }
  }
};

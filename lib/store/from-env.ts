/**
 * The store a script should use when it runs under `stowage run` or the runner: `STOWAGE_STORE` (a
 * directory, `file:///dir` or `s3://bucket/prefix`), with `STOWAGE_S3_ENDPOINT` / `AWS_ENDPOINT_URL_S3`
 * and `STOWAGE_REGION` / `AWS_REGION` for S3. Credentials come from the AWS chain, never from here.
 */
import { fileURLToPath } from "node:url";
import { ConfigError } from "../errors.ts";
import { fsStore } from "./fs-store.ts";
import type { ObjectStore } from "./object-store.ts";
import { s3Store } from "./s3-store.ts";

/** A parsed store address. */
export type StoreAddress =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "s3"; readonly bucket: string; readonly prefix: string };

/** The directory store used when nothing is configured. */
export const DEFAULT_STORE_DIR = "./stowage-data";

/**
 * Parses a store address: `s3://BUCKET[/PREFIX]`, `file:///DIR`, or a directory path. Throws a
 * {@link ConfigError} naming `what` for anything else.
 */
export const parseStoreAddress = (spec: string, what = "store"): StoreAddress => {
  if (/^s3:\/\//i.test(spec)) {
    const rest = spec.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
    if (bucket === "") {
      throw new ConfigError(
        `invalid ${what} "${spec}": expected s3://BUCKET or s3://BUCKET/PREFIX, e.g. s3://backups/prod`,
      );
    }
    return { kind: "s3", bucket, prefix };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !/^file:\/\//i.test(spec)) {
    throw new ConfigError(
      `invalid ${what} "${spec}": expected a directory, file:///DIR or s3://BUCKET/PREFIX (other object stores: create a backup location with "stowage backup-location create")`,
    );
  }
  return { kind: "directory", path: /^file:\/\//i.test(spec) ? fileURLToPath(spec) : spec };
};

/**
 * Opens the store named by `STOWAGE_STORE` (set by `stowage run`, the runner's `--store` and the
 * manifests), else `./stowage-data`. Does no I/O.
 *
 * @example
 * const store = storeFromEnv(); // s3://backups/prod under the runner, ./stowage-data on a laptop
 */
export const storeFromEnv = (env: NodeJS.ProcessEnv = process.env): ObjectStore => {
  const address = parseStoreAddress(env.STOWAGE_STORE?.trim() || DEFAULT_STORE_DIR, "STOWAGE_STORE");
  if (address.kind === "directory") return fsStore(address.path);
  const endpoint = env.STOWAGE_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || undefined;
  const region = env.STOWAGE_REGION || undefined;
  return s3Store({
    bucket: address.bucket,
    prefix: address.prefix,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(region ? { region } : {}),
  });
};

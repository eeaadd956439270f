/**
 * Where the restic repositories of a backup location live, as restic addresses them: one repository per
 * namespace under `<prefix>/restic/<namespace>` (Velero's layout), either in a local directory (the
 * directory store) or in an S3 bucket. Pure data and pure functions; the credentials are kept apart from
 * everything that may be printed.
 */
import { fileURLToPath } from "node:url";
import { ConfigError, describeValue } from "../errors.ts";
import { credentialsFromFile } from "../store/aws-credentials.ts";
import { awsStoreOptions } from "../store/aws-provider.ts";
import { resticRepositoryPrefix } from "../store/catalog.ts";
import { type BackupLocation, resolveLocation } from "../store/config.ts";
import type { ObjectStore } from "../store/object-store.ts";
import type { S3StoreOptions } from "../store/s3-options.ts";
import { s3StoreOptionsOf } from "../store/s3-store.ts";

/** Static S3 credentials handed to restic through `AWS_*` variables (never on its command line). */
export interface ResticS3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A backup location as restic reaches it. */
export type ResticBackend =
  | {
      readonly type: "local";
      /** The store's root directory (the one holding `backups/`); repositories go to `<path>/restic/<ns>`. */
      readonly path: string;
    }
  | {
      readonly type: "s3";
      readonly bucket: string;
      /** The location's prefix, without leading or trailing `/`. @default "" */
      readonly prefix?: string;
      /** Endpoint URL of an S3-compatible service (Velero's `s3Url`). @default AWS S3 of `region` */
      readonly endpoint?: string;
      /** @default "us-east-1" */
      readonly region?: string;
      /** Address the bucket in the path (`-o s3.bucket-lookup=path`), as MinIO needs. @default false */
      readonly forcePathStyle?: boolean;
      /** Skip TLS verification (`--insecure-tls`). For tests only. @default false */
      readonly insecureSkipTLSVerify?: boolean;
      /**
       * Static keys. Without them restic uses its own chain (AWS_* variables, the instance role).
       * @default none
       */
      readonly credentials?: ResticS3Credentials;
    };

/** How restic is pointed at one namespace's repository; `secretEnv` must never be printed. */
export interface RepositoryAddress {
  /** The volume namespace this repository serves. */
  readonly namespace: string;
  /** `RESTIC_REPOSITORY`, e.g. `s3:http://minio:9000/bucket/prefix/restic/shop` (Velero's repoIdentifier). */
  readonly url: string;
  /** Non-secret environment (region). */
  readonly env: Readonly<Record<string, string>>;
  /** Secret environment (AWS keys); empty for local repositories. */
  readonly secretEnv: Readonly<Record<string, string>>;
  /** Global restic options (`-o s3.bucket-lookup=path`, `--insecure-tls`). */
  readonly globalArgs: readonly string[];
}

/** Just the fields restic takes from resolved AWS credentials (an SDK identity carries more). */
const resticCredentials = (resolved: {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}): ResticS3Credentials => ({
  accessKeyId: resolved.accessKeyId,
  secretAccessKey: resolved.secretAccessKey,
  ...(resolved.sessionToken ? { sessionToken: resolved.sessionToken } : {}),
});

/** restic's variables for static S3 credentials (secret: never printed). */
export const credentialsEnv = (credentials: ResticS3Credentials): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
});

/**
 * The credentials the AWS SDK's default chain resolves in this process (environment, shared files, web
 * identity, container or instance metadata), or undefined when it finds none.
 */
export const awsChainCredentials = async (): Promise<ResticS3Credentials | undefined> => {
  const { S3Client } = await import("@aws-sdk/client-s3");
  const client = new S3Client({
    region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
  });
  try {
    return resticCredentials(await client.config.credentials());
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
};

const trimSlashes = (value: string): string => value.replace(/^\/+|\/+$/g, "");

/** The repository of `namespace` in `backend` (the namespace is validated as a DNS-1123 label). */
export const repositoryAddress = (backend: ResticBackend, namespace: string): RepositoryAddress => {
  const key = resticRepositoryPrefix(namespace);
  if (backend.type === "local") {
    return {
      namespace,
      url: `${backend.path.replace(/\/+$/, "")}/${key}`,
      env: {},
      secretEnv: {},
      globalArgs: [],
    };
  }
  const region = backend.region || "us-east-1";
  const host = backend.endpoint ? backend.endpoint.replace(/\/+$/, "") : `s3.${region}.amazonaws.com`;
  const path = [backend.bucket, trimSlashes(backend.prefix ?? ""), key].filter(Boolean).join("/");
  const credentials = backend.credentials;
  return {
    namespace,
    url: `s3:${host}/${path}`,
    env: { AWS_DEFAULT_REGION: region },
    secretEnv: credentials ? credentialsEnv(credentials) : {},
    globalArgs: [
      ...(backend.forcePathStyle ? ["-o", "s3.bucket-lookup=path"] : []),
      ...(backend.insecureSkipTLSVerify ? ["--insecure-tls"] : []),
    ],
  };
};

/** What {@link resticBackend} accepts. */
export type ResticBackendSource =
  | { readonly store: ObjectStore }
  | { readonly s3: S3StoreOptions }
  | { readonly location: BackupLocation }
  | { readonly backend: ResticBackend };

const staticCredentials = async (options: S3StoreOptions): Promise<ResticS3Credentials | undefined> => {
  if (options.credentials) {
    const given = options.credentials;
    return resticCredentials(typeof given === "function" ? await given() : given);
  }
  if (options.credentialsFile) return credentialsFromFile(options.credentialsFile, options.profile)();
  return undefined;
};

const fromS3Options = async (options: S3StoreOptions): Promise<ResticBackend> => {
  const credentials = await staticCredentials(options);
  const endpoint = options.endpoint ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  const region = options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
  return {
    type: "s3",
    bucket: trimSlashes(options.bucket),
    prefix: trimSlashes(options.prefix ?? ""),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(options.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(options.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
    ...(credentials ? { credentials } : {}),
  };
};

/**
 * The restic backend of a backup location:
 * - `{ store }`: a directory store (`fsStore`) or an `s3Store` (as `{ s3 }` with the options it was created
 *   with, `storeFromEnv()` included); other stores hide their connection: pass `{ s3 }` or `{ location }`;
 * - `{ s3 }`: the `s3Store` options (static `credentials` or `credentialsFile` are resolved now and
 *   handed to restic; without them restic uses its own AWS chain);
 * - `{ location }`: a backup location (`file` or `aws` provider, Velero's config keys);
 * - `{ backend }`: given as is.
 */
export const resticBackend = async (source: ResticBackendSource): Promise<ResticBackend> => {
  if (typeof source !== "object" || source === null) {
    throw new ConfigError(
      `restic backend: expected { store }, { s3 }, { location } or { backend }, got ${describeValue(source)}`,
    );
  }
  if ("backend" in source) return source.backend;
  if ("s3" in source) return fromS3Options(source.s3);
  if ("location" in source) {
    const resolved = resolveLocation(source.location);
    if (resolved.provider === "velero.io/file") {
      const root = [resolved.bucket.replace(/\/+$/, ""), resolved.prefix].filter(Boolean).join("/");
      return { type: "local", path: root };
    }
    if (resolved.provider !== "velero.io/aws") {
      throw new ConfigError(
        `restic backend: provider "${resolved.provider}" has no restic backend in Stowage: use an "aws" (S3) or "file" location`,
      );
    }
    return fromS3Options(awsStoreOptions(resolved));
  }
  const location = source.store.location;
  if (location.startsWith("file://")) return { type: "local", path: fileURLToPath(location) };
  const s3 = s3StoreOptionsOf(source.store);
  if (s3) return fromS3Options(s3);
  throw new ConfigError(
    `restic backend: the store at ${location} does not expose how restic can reach it: pass { s3: <the s3Store options> } or { location } instead of { store }`,
  );
};

/**
 * Backup locations, Velero's BackupStorageLocation `spec.objectStorage` + `spec.config` in plain data:
 * `{ provider: "aws", bucket: "backups", prefix: "prod", config: { region: "eu-west-1" } }`.
 * `openLocation` validates one (config keys exactly as Velero's plugins do) and opens its store.
 */
import { ConfigError, describeValue } from "../errors.ts";
import type { ObjectStore } from "./object-store.ts";
import {
  ALWAYS_VALID_KEYS,
  getObjectStoreProvider,
  listObjectStoreProviders,
  type ResolvedLocation,
  validateProviderName,
} from "./providers.ts";

/** Where backups live: a provider, a bucket (a directory for `file`), an optional prefix and provider config. */
export interface BackupLocation {
  /**
   * Provider name: `"aws"` (S3 and S3-compatibles), `"file"` (a local directory), or a registered
   * `"<dns-subdomain>/<name>"`. Bare names get `velero.io/` prepended.
   */
  readonly provider: string;
  /** Bucket name (`aws`), or directory path (`file`). */
  readonly bucket: string;
  /**
   * Path inside the bucket under which everything is kept; leading and trailing `/` are trimmed.
   * @default "" (the bucket's root)
   */
  readonly prefix?: string;
  /**
   * Provider settings as strings, with Velero's key names (for `aws`: region, s3Url, s3ForcePathStyle,
   * profile, credentialsFile, insecureSkipTLSVerify, checksumAlgorithm, …).
   * @default {}
   */
  readonly config?: Readonly<Record<string, string>>;
  /**
   * PEM CA bundle to trust for the provider's endpoint (Velero's `objectStorage.caCert`).
   * @default none (the system trust store)
   */
  readonly caCert?: string;
}

/** The message Velero's plugins give for unknown config keys, prefixed by the provider name. */
export const invalidKeysMessage = (
  provider: string,
  invalid: readonly string[],
  valid: readonly string[],
): string => `${provider}: invalid keys [${invalid.join(", ")}]; valid keys are [${valid.join(", ")}]`;

/** Validates `location` and resolves its provider; throws a ConfigError saying what to fix. */
export const resolveLocation = (location: BackupLocation): ResolvedLocation => {
  if (typeof location !== "object" || location === null) {
    throw new ConfigError(
      `backup location: expected { provider, bucket, prefix?, config? }, got ${describeValue(location)}`,
    );
  }
  const provider = validateProviderName(location.provider);
  const impl = getObjectStoreProvider(provider);
  if (!impl) {
    throw new ConfigError(
      `backup location: unknown provider "${location.provider}" (resolved to "${provider}"); registered providers are [${listObjectStoreProviders().join(", ")}]: use one of them, or call registerObjectStoreProvider("${provider}", …) first`,
    );
  }
  if (typeof location.bucket !== "string" || location.bucket.trim() === "") {
    throw new ConfigError(
      `${provider}: expected \`bucket\` to be a non-empty string (a bucket name, or a directory for "file"), got ${describeValue(location.bucket)}`,
    );
  }
  if (location.prefix !== undefined && typeof location.prefix !== "string") {
    throw new ConfigError(
      `${provider}: expected \`prefix\` to be a string, got ${describeValue(location.prefix)}`,
    );
  }
  const config = location.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ConfigError(
      `${provider}: expected \`config\` to be an object of strings, got ${describeValue(location.config)}`,
    );
  }
  const valid = [...impl.validKeys, ...ALWAYS_VALID_KEYS];
  const invalid = Object.keys(config)
    .filter((key) => !valid.includes(key))
    .sort();
  if (invalid.length > 0) throw new ConfigError(invalidKeysMessage(provider, invalid, valid));
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== "string") {
      throw new ConfigError(
        `${provider}: config.${key} must be a string (Velero config values are strings), got ${describeValue(value)}: write it as "${String(value)}"`,
      );
    }
  }
  if (location.caCert !== undefined && typeof location.caCert !== "string") {
    throw new ConfigError(
      `${provider}: expected \`caCert\` to be a PEM string, got ${describeValue(location.caCert)}`,
    );
  }
  return {
    provider,
    bucket: location.bucket,
    prefix: (location.prefix ?? "").replace(/^\/+|\/+$/g, ""),
    config: { ...config },
    caCert: location.caCert ?? (config.caCert || undefined),
  };
};

/** Opens the store of a backup location (validated first). Does no I/O for the built-in providers. */
export const openLocation = (location: BackupLocation): ObjectStore => {
  const resolved = resolveLocation(location);
  const provider = getObjectStoreProvider(resolved.provider);
  // resolveLocation has checked it exists.
  return provider!.create(resolved);
};

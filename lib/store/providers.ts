/**
 * Object store providers by name, Velero's way: names are `<dns-subdomain>/<name>`, and a bare name gets
 * `velero.io/` prepended (`aws` is `velero.io/aws`). Built in: `velero.io/aws` (S3 and compatibles) and
 * `velero.io/file` (a local directory).
 */
import { ConfigError, describeValue } from "../errors.ts";
import { awsProvider } from "./aws-provider.ts";
import { fsStore } from "./fs-store.ts";
import type { ObjectStore } from "./object-store.ts";

/** A location after validation, as a provider's `create` receives it. */
export interface ResolvedLocation {
  /** Full provider name, e.g. `velero.io/aws`. */
  readonly provider: string;
  /** Bucket as given (the provider decides how to trim or check it). */
  readonly bucket: string;
  /** Prefix with leading and trailing `/` trimmed; `""` for none. */
  readonly prefix: string;
  /** Provider config, already checked against the provider's valid keys. */
  readonly config: Readonly<Record<string, string>>;
  /** PEM CA bundle from the location or `config.caCert`, if any. */
  readonly caCert: string | undefined;
}

/** What a provider registers: the config keys it accepts and how to open a store. */
export interface ObjectStoreProvider {
  /** Config keys accepted besides `bucket`, `prefix` and `caCert` (which are always allowed, as in Velero). */
  readonly validKeys: readonly string[];
  /** Opens the store of a validated location. Should do no I/O; throw `ConfigError` for bad config values. */
  create(location: ResolvedLocation): ObjectStore;
}

/** Config keys every provider accepts (Velero injects them into every ObjectStore's config). */
export const ALWAYS_VALID_KEYS = ["bucket", "prefix", "caCert"] as const;

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The full provider name: `aws` → `velero.io/aws`; names with a `/` are returned as they are. */
export const resolveProviderName = (name: string): string =>
  name.includes("/") ? name : `velero.io/${name}`;

/** Throws a ConfigError unless `name` resolves to `<dns-subdomain>/<non-empty name>`; returns the full name. */
export const validateProviderName = (name: unknown): string => {
  if (typeof name !== "string" || name === "") {
    throw new ConfigError(
      `provider name must be a non-empty string such as "aws" or "example.io/mem", got ${describeValue(name)}`,
    );
  }
  const full = resolveProviderName(name);
  const parts = full.split("/");
  const [domain = "", plugin = ""] = parts;
  if (parts.length !== 2 || domain === "" || plugin === "") {
    throw new ConfigError(
      `provider name "${name}" is invalid: expected <DNS subdomain>/<non-empty name>, e.g. "example.io/mem", with exactly one "/"`,
    );
  }
  if (domain.length > 253 || !DNS1123_SUBDOMAIN.test(domain)) {
    throw new ConfigError(
      `provider name "${name}" is invalid: its first part "${domain}" must be a DNS subdomain (lower case alphanumerics, '-' and '.'), e.g. "example.io/mem"`,
    );
  }
  return full;
};

const registry = new Map<string, ObjectStoreProvider>([
  ["velero.io/aws", awsProvider],
  [
    "velero.io/file",
    { validKeys: [], create: (location) => fsStore(location.bucket, { prefix: location.prefix }) },
  ],
]);

/**
 * Registers an object store provider under `name` (bare names get `velero.io/`). Returns the full name.
 * Registering a taken name throws unless `replace` is set.
 */
export const registerObjectStoreProvider = (
  name: string,
  provider: ObjectStoreProvider,
  options: {
    /**
     * Replace a provider already registered under that name (built-ins included).
     * @default false
     */
    readonly replace?: boolean;
  } = {},
): string => {
  const full = validateProviderName(name);
  if (
    typeof provider !== "object" ||
    provider === null ||
    typeof provider.create !== "function" ||
    !Array.isArray(provider.validKeys) ||
    !provider.validKeys.every((k) => typeof k === "string")
  ) {
    throw new ConfigError(
      `provider "${full}": expected { validKeys: string[], create(location) }, got ${describeValue(provider)}`,
    );
  }
  if (registry.has(full) && !options.replace) {
    throw new ConfigError(
      `provider "${full}" is already registered: pass { replace: true } to replace it, or pick another name`,
    );
  }
  registry.set(full, provider);
  return full;
};

/** Removes a provider; returns whether one was registered under that name. */
export const unregisterObjectStoreProvider = (name: string): boolean =>
  registry.delete(resolveProviderName(name));

/** Full names of the registered providers, sorted. */
export const listObjectStoreProviders = (): string[] => [...registry.keys()].sort();

/** The provider registered under `name` (bare names get `velero.io/`), or undefined. */
export const getObjectStoreProvider = (name: string): ObjectStoreProvider | undefined =>
  registry.get(resolveProviderName(name));

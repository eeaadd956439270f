/**
 * Object store providers by name, Velero's way: names are `<dns-subdomain>/<name>`, and a bare name gets
 * `velero.io/` prepended (`aws` is `velero.io/aws`). Built in: `velero.io/aws` (S3 and compatibles) and
 * `velero.io/file` (a local directory).
 */
import { ConfigError, describeValue } from "../errors.ts";
import { createNamedRegistry } from "../util/named-registry.ts";
import { awsProvider } from "./aws-provider.ts";
import { fsStore } from "./fs-store.ts";
import type { ObjectStoreProvider } from "./provider-types.ts";

export type { ObjectStoreProvider, ResolvedLocation } from "./provider-types.ts";

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

const registry = createNamedRegistry<ObjectStoreProvider>("provider", resolveProviderName, [
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
  return registry.add(full, provider, options.replace);
};

/** Removes a provider; returns whether one was registered under that name. */
export const unregisterObjectStoreProvider = (name: string): boolean => registry.remove(name);

/** Full names of the registered providers, sorted. */
export const listObjectStoreProviders = (): string[] => registry.names();

/** The provider registered under `name` (bare names get `velero.io/`), or undefined. */
export const getObjectStoreProvider = (name: string): ObjectStoreProvider | undefined => registry.get(name);

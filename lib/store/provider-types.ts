/**
 * What an object store provider is and what it receives: the contract between the provider registry
 * (`providers.ts`) and the providers themselves (the built-in `aws-provider.ts`, or your own). Types only,
 * so providers depend on it and never on the registry.
 */
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

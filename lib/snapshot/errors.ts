import { ConfigError, StowageError } from "../errors.ts";
import { invalidKeysMessage } from "../store/config.ts";

/**
 * A volume snapshot provider call failed or timed out (code `ERR_STORE`: the provider is a storage
 * backend). Messages name the provider, the volume or snapshot, and what to check.
 */
export class SnapshotError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_STORE", message, options);
  }
}

/** Throws a ConfigError listing the valid keys when `config` has any other key (Velero's check). */
export const checkConfigKeys = (
  provider: string,
  config: Readonly<Record<string, string>>,
  validKeys: readonly string[],
): void => {
  const invalid = Object.keys(config)
    .filter((key) => !validKeys.includes(key))
    .sort();
  if (invalid.length > 0) throw new ConfigError(invalidKeysMessage(provider, invalid, validKeys));
};

/**
 * `error` as a SnapshotError saying `provider`'s `what` failed, with the SDK's message; an error that is
 * already a SnapshotError (worded by the provider) passes as it is.
 */
export const providerFailure = (provider: string, what: string, error: unknown): SnapshotError =>
  error instanceof SnapshotError
    ? error
    : new SnapshotError(`${provider}: ${what} failed: ${messageOf(error)}`, { cause: error });

/** The message of an error from a provider SDK, without its stack. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error);

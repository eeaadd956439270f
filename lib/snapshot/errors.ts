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

/** The message of an error from a provider SDK, without its stack. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error);

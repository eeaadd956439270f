/**
 * Go's `strconv.ParseBool`, as Velero reads booleans from flags and config maps: `1 t T TRUE true True`
 * are true, `0 f F FALSE false False` are false, anything else is not a bool.
 */
import { ConfigError } from "../errors.ts";

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go's strconv.ParseBool of `text`: true or false for its spellings, undefined for anything else. */
export const parseGoBool = (text: string): boolean | undefined =>
  TRUE.has(text) ? true : FALSE.has(text) ? false : undefined;

/**
 * Go's strconv.ParseBool of an optional value of a provider's config map: undefined when `value` is
 * missing or empty (the provider's default applies).
 * @throws ConfigError naming `provider`, `key` and the value when it is not a bool
 */
export const parseConfigBool = (
  provider: string,
  key: string,
  value: string | undefined,
): boolean | undefined => {
  if (value === undefined || value === "") return undefined;
  const parsed = parseGoBool(value);
  if (parsed === undefined) {
    throw new ConfigError(
      `${provider}: could not parse ${key} "${value}": expected a bool ("true" or "false")`,
    );
  }
  return parsed;
};

/**
 * What object keys and list prefixes may look like. Keys are relative, `/`-separated paths; anything
 * that could escape a store's root on a filesystem (absolute paths, `..`, backslashes) is refused by
 * every store, so a key that works on `fsStore` works on S3 and the other way round.
 */
import { ValidationError } from "../errors.ts";

/** S3's limit on a key's length in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const EXAMPLE = 'keys are relative paths like "backups/<name>/velero-backup.json"';

const segmentProblem = (value: string, allowTrailingSlash: boolean): string | undefined => {
  if (value.startsWith("/")) return "must not start with `/` (keys are relative to the store root)";
  if (value.includes("\\")) return "must not contain a backslash (`/` is the only separator)";
  if (value.includes("\0")) return "must not contain a NUL character";
  if (Buffer.byteLength(value, "utf8") > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes long`;
  const segments = value.split("/");
  if (allowTrailingSlash && segments.at(-1) === "") segments.pop();
  for (const segment of segments) {
    if (segment === "") return "must not contain empty path segments (`//` or a trailing `/`)";
    if (segment === "." || segment === "..") return `must not contain a \`${segment}\` segment`;
  }
  return undefined;
};

/** The problem with `key`, or undefined when it is a valid object key. */
export const keyProblem = (key: unknown): string | undefined => {
  if (typeof key !== "string") return `must be a string, got ${typeof key}`;
  if (key === "") return "must not be empty";
  return segmentProblem(key, false);
};

/** Throws a `ValidationError` naming the key unless it is a valid object key. */
export const validateKey = (key: unknown): string => {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new ValidationError([`${JSON.stringify(key)} ${problem}; ${EXAMPLE}`], "object key");
  }
  return key as string;
};

/**
 * Throws unless `prefix` is a valid list prefix: `""` (everything), a partial key (`backups/b`) or a
 * "directory" ending in `/` (`backups/`).
 */
export const validatePrefix = (prefix: unknown): string => {
  if (typeof prefix !== "string") {
    throw new ValidationError([`must be a string, got ${typeof prefix}`], "list prefix");
  }
  if (prefix === "") return prefix;
  const problem = segmentProblem(prefix, true);
  if (problem !== undefined) {
    throw new ValidationError([`${JSON.stringify(prefix)} ${problem}; ${EXAMPLE}`], "list prefix");
  }
  return prefix;
};

/** Throws unless `delimiter` is a non-empty string. */
export const validateDelimiter = (delimiter: unknown): string => {
  if (typeof delimiter !== "string" || delimiter === "") {
    throw new ValidationError(
      [`must be a non-empty string such as "/", got ${JSON.stringify(delimiter)}`],
      "delimiter",
    );
  }
  return delimiter;
};

/** Throws unless `ttlSeconds` is a positive integer number of seconds. */
export const validateTtl = (ttlSeconds: unknown): number => {
  if (typeof ttlSeconds !== "number" || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new ValidationError(
      [
        `must be a positive whole number of seconds (Velero uses 600), got ${String(ttlSeconds)} (${typeof ttlSeconds})`,
      ],
      "signed URL ttlSeconds",
    );
  }
  return ttlSeconds;
};

/** Common prefixes of `keys` (each starting with `prefix`) for `delimiter`, ascending and unique. */
export const commonPrefixesOf = (keys: Iterable<string>, prefix: string, delimiter: string): string[] => {
  const found = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const at = key.indexOf(delimiter, prefix.length);
    if (at >= 0) found.add(key.slice(0, at + delimiter.length));
  }
  return [...found].sort(compareKeys);
};

/** Byte-order comparison of two keys (S3 lists keys in UTF-8 binary order). */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

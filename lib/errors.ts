/**
 * Stowage's error hierarchy: a small set of branded classes, each with a stable `code` and an optional
 * `cause`. Messages name the thing, what was expected, what was received and what to do.
 *
 * The brand (`Symbol.for("stowage.error")`) makes `isStowageError()` work even when a user's script
 * loads its own copy of the SDK.
 */

const BRAND = Symbol.for("stowage.error");

/** Codes every Stowage error carries; stable across releases so scripts can switch on them. */
export type StowageErrorCode =
  | "ERR_CONFIG"
  | "ERR_VALIDATION"
  | "ERR_KUBE"
  | "ERR_KUBE_UNREACHABLE"
  | "ERR_KUBE_OUTCOME_UNKNOWN"
  | "ERR_NOT_FOUND"
  | "ERR_ALREADY_EXISTS"
  | "ERR_CONFLICT"
  | "ERR_FORBIDDEN"
  | "ERR_UNAUTHORIZED"
  | "ERR_INVALID"
  | "ERR_STORE"
  | "ERR_FORMAT"
  | "ERR_EXEC"
  | "ERR_EXEC_TIMEOUT"
  | "ERR_HOOK"
  | "ERR_ABORTED";

/** Base class of every error Stowage throws on purpose. */
export class StowageError extends Error {
  /** Stable machine-readable code. */
  readonly code: StowageErrorCode;

  constructor(code: StowageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, "name", { value: new.target.name, enumerable: false, configurable: true });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/** True for any Stowage error, including one thrown by another copy of the SDK. */
export const isStowageError = (value: unknown): value is StowageError =>
  typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;

/** Bad configuration: a kubeconfig, a store location, a provider config map. */
export class ConfigError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_CONFIG", message, options);
  }
}

/** Invalid options given to a public function (FailedValidation in Velero's words). */
export class ValidationError extends StowageError {
  /** Every problem found, so users fix them all at once. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], subject = "options") {
    super(
      "ERR_VALIDATION",
      problems.length === 1
        ? `invalid ${subject}: ${problems[0]}`
        : `invalid ${subject}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.problems = [...problems];
  }
}

/** A problem in an object store (missing bucket, denied access, a key that should not exist). */
export class StoreError extends StowageError {
  constructor(
    message: string,
    options?: { cause?: unknown; code?: "ERR_STORE" | "ERR_NOT_FOUND" | "ERR_ALREADY_EXISTS" },
  ) {
    super(options?.code ?? "ERR_STORE", message, options);
  }
}

/** A backup archive that is malformed or hostile. */
export class FormatError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_FORMAT", message, options);
  }
}

/** The operation was cancelled through its AbortSignal. */
export class AbortError extends StowageError {
  constructor(message = "the operation was aborted", options?: { cause?: unknown }) {
    super("ERR_ABORTED", message, options);
  }
}

/** A brief description of a value's type for "received …" parts of messages. */
export const describeValue = (value: unknown): string => {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string")
    return `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}" (string)`;
  if (typeof value === "object") return "an object";
  return `${String(value)} (${typeof value})`;
};

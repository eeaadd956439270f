import { ValidationError } from "../errors.ts";

/**
 * The outcome of checking one part of a spec: the resolved value plus every problem (which makes the
 * spec invalid, Velero's FailedValidation) and warning (logged, never fatal) found on the way. Checkers
 * never throw, so a caller can gather the problems of every part and report them all at once.
 */
export interface Checked<T> {
  readonly value: T;
  /** Reasons the spec is invalid; empty when it is valid. */
  readonly problems: readonly string[];
  /** Things worth a warning log line (e.g. a resource the cluster does not serve). */
  readonly warnings: readonly string[];
}

/** Returns the value, or throws one ValidationError listing every problem. */
export const valueOrThrow = <T>(checked: Checked<T>, subject: string): T => {
  if (checked.problems.length > 0) throw new ValidationError(checked.problems, subject);
  return checked.value;
};

/** `"a", "b"` for messages. */
export const quoted = (items: Iterable<string>): string =>
  [...items].map((s) => JSON.stringify(s)).join(", ");

/** `["a","b"]` for the "received" part of messages. */
export const received = (items: readonly string[]): string => JSON.stringify(items);

/** Order-preserving de-duplication (Velero keeps these lists in sets). */
export const unique = (items: Iterable<string>): string[] => [...new Set(items)];

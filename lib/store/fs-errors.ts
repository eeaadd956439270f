/** Turns Node filesystem errors into `StoreError`s that say what to do. */
import { AbortError, isStowageError, StoreError } from "../errors.ts";

/** The errno code of a Node system error, if any. */
export const errnoCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : undefined;

const hints: Record<string, string> = {
  EACCES: "check the permissions of the directory (and of the user running Stowage)",
  EPERM: "check the permissions of the directory (and of the user running Stowage)",
  EROFS: "the filesystem is read-only: point the store at a writable directory",
  ENOSPC: "the disk is full: free some space or use another directory",
  EDQUOT: "the disk quota is exhausted: free some space or use another directory",
  EMFILE: "too many open files: lower concurrency or raise `ulimit -n`",
  ENAMETOOLONG: "the key is too long for this filesystem: use shorter names",
  EISDIR:
    "a directory of other keys exists at that path; a directory store cannot hold both `a` and `a/b`: use another key",
  ENOTDIR:
    "a parent path segment is an object, not a directory; a directory store cannot hold both `a` and `a/b`: use another key",
  EEXIST:
    "a parent path segment is an object, not a directory; a directory store cannot hold both `a` and `a/b`: use another key",
  ENOTEMPTY:
    "a directory of other keys exists at that path; a directory store cannot hold both `a` and `a/b`: use another key",
};

/** Wraps `error` (from `operation` on `key` of store `location`) in a StoreError, keeping Stowage errors as they are. */
export const fsError = (error: unknown, operation: string, key: string, location: string): Error => {
  if (isStowageError(error)) return error;
  if (error instanceof Error && (error.name === "AbortError" || errnoCode(error) === "ABORT_ERR")) {
    return new AbortError(`${operation} "${key}" in ${location} was aborted; nothing was written`, {
      cause: error,
    });
  }
  const code = errnoCode(error) ?? "unknown error";
  const detail = error instanceof Error ? error.message : String(error);
  const hint = hints[code] ?? "see the cause for details";
  return new StoreError(`cannot ${operation} "${key}" in ${location} (${code}: ${detail}): ${hint}`, {
    cause: error,
  });
};

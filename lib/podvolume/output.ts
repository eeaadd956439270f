/**
 * restic's `--json` output and exit codes, turned into typed summaries and clear errors. Pure: used by the
 * local driver on a process's output and by the Job driver on a container's termination message.
 */
import { StowageError, type StowageErrorCode } from "../errors.ts";
import { isRecord } from "../util/is-record.ts";
import type { ResticCommand } from "./commands.ts";

/** The last line of `restic backup --json` (restic 0.18 field names). */
export interface BackupSummary {
  readonly message_type: "summary";
  readonly files_new: number;
  readonly files_changed: number;
  readonly files_unmodified: number;
  readonly dirs_new: number;
  readonly dirs_changed: number;
  readonly dirs_unmodified: number;
  readonly data_added: number;
  readonly data_added_packed?: number;
  readonly total_files_processed: number;
  readonly total_bytes_processed: number;
  readonly total_duration: number;
  readonly snapshot_id: string;
}

/** The last line of `restic restore --json`. */
export interface RestoreSummary {
  readonly message_type: "summary";
  readonly total_files: number;
  readonly files_restored: number;
  readonly files_skipped?: number;
  readonly total_bytes: number;
  readonly bytes_restored: number;
  readonly bytes_skipped?: number;
}

/** A `status` line of `backup --json` / `restore --json`: progress so far. */
export interface ResticStatus {
  readonly message_type: "status";
  readonly percent_done?: number;
  readonly total_bytes?: number;
  readonly bytes_done?: number;
  readonly total_files?: number;
  readonly files_done?: number;
}

/** Progress of one volume, as a PodVolumeBackup's `status.progress` holds it. */
export interface VolumeProgress {
  readonly totalBytes: number;
  readonly bytesDone: number;
}

/** Every JSON object of NDJSON `text`; other lines (restic's plain text) are skipped. */
export const parseJsonLines = (text: string): Record<string, unknown>[] => {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) continue;
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (isRecord(value)) out.push(value);
    } catch {
      // a partial line (cut by a size limit) is not an error: the summary is looked for, not required
    }
  }
  return out;
};

/** The last `message_type: summary` object of `text`, if any. */
export const lastSummary = <T>(text: string): T | undefined =>
  parseJsonLines(text)
    .filter((o) => o.message_type === "summary")
    .at(-1) as T | undefined;

/** `status` lines as volume progress (bytes), for `onProgress`. */
export const progressOf = (status: Record<string, unknown>): VolumeProgress | undefined => {
  if (status.message_type !== "status") return undefined;
  const s = status as unknown as ResticStatus;
  return { totalBytes: s.total_bytes ?? 0, bytesDone: s.bytes_done ?? 0 };
};

/** Removes every occurrence of each secret from `text` (defence in depth: restic never prints them). */
export const redact = (text: string, secrets: readonly string[]): string => {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out;
};

/** Why restic failed, from its exit code. */
export type ResticFailure = "wrong-key" | "no-repository" | "locked" | "not-found" | "interrupted" | "failed";

/** A restic command that failed; the message says what to do. Never carries the key. */
export class ResticError extends StowageError {
  /** restic's exit code (127 when the binary could not be started). */
  readonly exitCode: number;
  readonly failure: ResticFailure;
  /** The namespace whose repository was addressed. */
  readonly namespace: string;

  constructor(
    failure: ResticFailure,
    message: string,
    details: { exitCode: number; namespace: string; cause?: unknown },
  ) {
    const codes: Record<ResticFailure, StowageErrorCode> = {
      "wrong-key": "ERR_UNAUTHORIZED",
      "no-repository": "ERR_NOT_FOUND",
      locked: "ERR_CONFLICT",
      "not-found": "ERR_CONFIG",
      interrupted: "ERR_ABORTED",
      failed: "ERR_STORE",
    };
    super(codes[failure], message, details.cause === undefined ? undefined : { cause: details.cause });
    this.exitCode = details.exitCode;
    this.failure = failure;
    this.namespace = details.namespace;
  }
}

/** restic's own words: the `exit_error` message of stderr, else its last lines (at most 600 characters). */
export const resticMessage = (stderr: string): string => {
  const exit = parseJsonLines(stderr)
    .filter((o) => o.message_type === "exit_error")
    .at(-1);
  if (exit && typeof exit.message === "string") return exit.message.trim();
  const errors = parseJsonLines(stderr).filter((o) => o.message_type === "error");
  if (errors.length > 0) {
    return errors
      .map((e) => {
        const error = e.error as { message?: string } | undefined;
        return `${String(e.item ?? "")}: ${error?.message ?? JSON.stringify(e.error)}`;
      })
      .join("; ")
      .slice(0, 600);
  }
  const text = stderr.trim();
  return text.length > 600 ? `…${text.slice(-600)}` : text;
};

/**
 * The error for a restic command that exited with `exitCode` (restic 0.17+ codes: 1 fatal, 3 backup could
 * not read some files, 10 no repository, 11 locked, 12 wrong password, 130 interrupted).
 */
export const resticError = (
  command: Pick<ResticCommand, "operation" | "namespace">,
  exitCode: number,
  stderr: string,
  context: { readonly repository: string; readonly keySource?: string },
): ResticError => {
  const said = resticMessage(stderr);
  const ns = command.namespace;
  const details = { exitCode, namespace: ns };
  switch (exitCode) {
    case 12:
      return new ResticError(
        "wrong-key",
        `wrong repository key for namespace ${ns}: the key${context.keySource ? ` in ${context.keySource}` : ""} does not open the repository at ${context.repository} (${said}); nothing was written. Put the repository's key in place (stowage restic repo init ${ns} --key-file FILE), or point at another backup location`,
        details,
      );
    case 10:
      return new ResticError(
        "no-repository",
        `no restic repository for namespace ${ns} at ${context.repository}: initialise it (stowage restic repo init ${ns}), or check the backup location`,
        details,
      );
    case 11:
      return new ResticError(
        "locked",
        `the restic repository of namespace ${ns} (${context.repository}) is locked by another restic process: wait for it, or remove a stale lock with "restic unlock" (${said})`,
        details,
      );
    case 130:
      return new ResticError(
        "interrupted",
        `restic ${command.operation} for namespace ${ns} was interrupted`,
        details,
      );
    default:
      return new ResticError(
        "failed",
        `restic ${command.operation} for namespace ${ns} failed (exit code ${exitCode}) against ${context.repository}: ${said || "no message"}`,
        details,
      );
  }
};

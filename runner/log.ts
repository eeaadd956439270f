/**
 * Structured JSON logs, one object per line: `time`, `level`, `msg`, then fields. Callers pass names,
 * outcomes and error messages — never secret data (credentials and repository keys are not fields).
 */
import type { Writable } from "node:stream";

export type Level = "debug" | "info" | "warn" | "error";

/** A JSON-lines logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger adding `fields` to every line. */
  with(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

const serialise = (value: unknown): unknown => {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return value.message;
  return value;
};

/** Writes JSON lines to `out` (stdout by default), dropping levels below `level` (default info). */
export const createLogger = (
  options: { out?: Writable; level?: Level; now?: () => Date; fields?: Record<string, unknown> } = {},
): Logger => {
  const out = options.out ?? process.stdout;
  const min = ORDER[options.level ?? "info"];
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const write = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const entry: Record<string, unknown> = { time: now().toISOString(), level, msg };
    for (const [key, value] of Object.entries({ ...base, ...fields })) {
      if (value !== undefined) entry[key] = serialise(value);
    }
    out.write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    with: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
};

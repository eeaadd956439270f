/**
 * The run log: the one owner of a backup's or restore's log (`<n>-logs.gz`, `restore-<r>-logs.gz`) and
 * of the results (`-results.gz`) derived from its warning and error lines. Both runs write through it;
 * the catalog stores what `finish()` and `results()` return.
 */
import { createGzip, type Gzip } from "node:zlib";
import type { Result, Results } from "../store/types.ts";

/** Level of a log line; error lines make a run PartiallyFailed (Velero's rule), warnings never do. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** A structured per-run log: logfmt lines like Velero's (gzip-compressed as they come) plus results. */
export interface RunLog {
  line(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` (resource, namespace, name) to every line, as item actions get. */
  scoped(fields: Record<string, unknown>): {
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
    error(message: string, fields?: Record<string, unknown>): void;
  };
  readonly warnings: number;
  readonly errors: number;
  /** `{ errors, warnings }` in Velero's `-results.gz` shape. */
  results(): Results;
  /** Ends the gzip stream and returns the compressed log. */
  finish(): Promise<Buffer>;
}

const quote = (value: unknown): string => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[A-Za-z0-9_./:@-]+$/.test(text ?? "") ? (text ?? "") : JSON.stringify(text);
};

const add = (result: Result, namespace: string | undefined, message: string, scope?: "velero") => {
  if (scope === "velero") {
    result.velero = [...(result.velero ?? []), message];
  } else if (!namespace) {
    result.cluster = [...(result.cluster ?? []), message];
  } else {
    const namespaces = result.namespaces ?? {};
    namespaces[namespace] = [...(namespaces[namespace] ?? []), message];
    result.namespaces = namespaces;
  }
};

/**
 * Creates the log of one backup or restore. `subject` is the field Velero puts on every line
 * (`backup=velero/<name>`); `echo` mirrors lines elsewhere (e.g. the runner's JSON log).
 */
export const createRunLog = (
  subject: { key: "backup" | "restore"; name: string },
  options: {
    now?: () => Date;
    echo?: (level: LogLevel, message: string, fields: Record<string, unknown>) => void;
  } = {},
): RunLog => {
  const now = options.now ?? (() => new Date());
  const gzip: Gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.on("end", resolve);
    gzip.on("error", reject);
  });
  const errors: Result = {};
  const warnings: Result = {};
  let warningCount = 0;
  let errorCount = 0;

  const line = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    const parts = [
      `time="${now()
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")}"`,
      `level=${level}`,
      `msg=${JSON.stringify(message)}`,
    ];
    parts.push(`${subject.key}=velero/${subject.name}`);
    for (const key of Object.keys(fields).sort()) {
      if (fields[key] !== undefined) parts.push(`${key}=${quote(fields[key])}`);
    }
    gzip.write(`${parts.join(" ")}\n`);
    options.echo?.(level, message, fields);
    if (level === "warning" || level === "error") {
      // Velero synthesises results entries from log lines: " resource: /<gr> name: /<n> message: /<msg>"
      const entry =
        fields.resource !== undefined || fields.name !== undefined
          ? ` resource: /${String(fields.resource ?? "")} name: /${String(fields.name ?? "")} message: /${message}${fields.error ? ` error: /${String(fields.error)}` : ""}`
          : message;
      const namespace = typeof fields.namespace === "string" ? fields.namespace : undefined;
      if (level === "error") {
        errorCount++;
        add(errors, namespace, entry, fields.scope === "velero" ? "velero" : undefined);
      } else {
        warningCount++;
        add(warnings, namespace, entry, fields.scope === "velero" ? "velero" : undefined);
      }
    }
  };
  return {
    line,
    info: (m, f) => line("info", m, f),
    warn: (m, f) => line("warning", m, f),
    error: (m, f) => line("error", m, f),
    scoped: (base) => ({
      info: (m, f) => line("info", m, { ...base, ...f }),
      warn: (m, f) => line("warning", m, { ...base, ...f }),
      error: (m, f) => line("error", m, { ...base, ...f }),
    }),
    get warnings() {
      return warningCount;
    },
    get errors() {
      return errorCount;
    },
    results: () => ({ errors: structuredClone(errors), warnings: structuredClone(warnings) }),
    async finish() {
      gzip.end();
      await ended;
      return Buffer.concat(chunks);
    },
  };
};

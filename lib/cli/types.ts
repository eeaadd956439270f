/**
 * The CLI's plain data types that need nothing else: flag declarations, `-o` formats and the streams a
 * command writes to. A leaf module, so the parser (`flags.ts`), the output helpers and the command
 * shape (`command.ts`) can all use them without importing one another.
 */
import type { Readable, Writable } from "node:stream";

/** `-o/--output` values. */
export type OutputFormat = "table" | "json" | "yaml";

/** The kinds of flag values the parser knows. */
export type FlagType =
  /** A single string; the last occurrence wins. */
  | "string"
  /** A boolean; `--flag`, `--flag=true`, `--flag=false` (Go's strconv.ParseBool spellings). */
  | "boolean"
  /** A list: comma-separated, and the flag may be repeated (the values are concatenated). */
  | "list";

/** One flag of a command (or a global flag). */
export interface FlagSpec {
  /** Long name without dashes, e.g. `include-namespaces`. */
  readonly name: string;
  /** One-letter alias, e.g. `l` for `-l`. */
  readonly short?: string;
  readonly type: FlagType;
  /** Placeholder shown in help, e.g. `NAMES`, `DURATION`. */
  readonly placeholder?: string;
  /** One line for `--help`. */
  readonly description: string;
}

/** Streams a command writes to; the process's by default. */
export interface Io {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable & { isTTY?: boolean };
}

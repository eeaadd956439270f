/**
 * The shape of a CLI command: its place in the command tree (`["backup", "create"]`), its flags and
 * positional arguments, the output formats it supports, and the function that runs it. The command
 * table (`registry.ts`) is plain data built from these, so new verbs slot in without touching the parser.
 */
import type { Flags } from "./flags.ts";
import type { Settings } from "./settings.ts";
import type { FlagSpec, Io, OutputFormat } from "./types.ts";

/** Positional arguments a command takes. */
export interface ArgsSpec {
  /** How they appear in the usage line, e.g. `NAME` or `[NAME...]`. */
  readonly usage: string;
  readonly min: number;
  /** `Infinity` for any number. */
  readonly max: number;
}

/** What a running command gets. */
export interface CommandContext {
  /** Positional arguments after the command words. */
  readonly args: readonly string[];
  /** Parsed flags (command flags and global flags). */
  readonly flags: Flags;
  /** Settings resolved from flags, STOWAGE_* variables and the config file (lazily opened). */
  readonly settings: Settings;
  /** The `-o` format, already checked against {@link CommandSpec.outputs}. */
  readonly output: OutputFormat;
  readonly io: Io;
  /** The command being run. */
  readonly command: CommandSpec;
  /** The process environment (STOWAGE_*, AWS_*, …). */
  readonly env: NodeJS.ProcessEnv;
}

/** One command of the CLI. */
export interface CommandSpec {
  /** Words that select the command: `["backup", "create"]`, `["version"]`. */
  readonly path: readonly string[];
  /** One line for command lists. */
  readonly summary: string;
  /** Paragraphs shown by `--help` after the summary. */
  readonly description?: string;
  readonly args: ArgsSpec;
  /** Command flags; a command flag with a global flag's name replaces it (e.g. `download -o FILE`). */
  readonly flags: readonly FlagSpec[];
  /** `-o` formats the command supports. @default ["table"] */
  readonly outputs?: readonly OutputFormat[];
  /** Stop parsing flags at the first positional; everything after it is passed through (`run`). */
  readonly passThrough?: boolean;
  /** Example invocations shown by `--help`. */
  readonly examples?: readonly string[];
  /** Runs the command; resolves to the exit code. Throw UsageError / StowageError for failures. */
  run(context: CommandContext): Promise<number>;
}

/** Summaries of command groups (`backup`, `backup-location`, later `restore`, `schedule`). */
export interface GroupSpec {
  /** The first word of the group's commands, e.g. `backup`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
}

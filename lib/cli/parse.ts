/**
 * Command-line parsing, kubectl-style: global flags may come before or after the command words,
 * command flags come after them. After the command words a command flag wins over a global flag of
 * the same name (`backup download -o FILE`, `backup-location create --config k=v`); before them, the
 * global meaning holds (`stowage --config FILE backup-location create …`).
 * `locate` finds the command in the table; `parseCommandLine` parses its flags with `node:util`
 * `parseArgs` (strict), adding what pflag users expect: `--flag=false` for booleans and
 * comma-separated, repeatable list flags.
 */
import { parseArgs } from "node:util";
import { parseGoBool } from "../util/go-bool.ts";
import type { CommandSpec, GroupSpec } from "./command.ts";
import { UsageError } from "./errors.ts";
import { Flags, type FlagValue, GLOBAL_FLAGS, splitList } from "./flags.ts";
import type { FlagSpec } from "./types.ts";

/** Where the command words of an argv lead. */
export type Located =
  | {
      readonly kind: "command";
      readonly command: CommandSpec;
      /** Global flags given before the command words (always global, even where a command flag has the name). */
      readonly before: readonly string[];
      /** Everything after the command words. */
      readonly after: readonly string[];
    }
  | { readonly kind: "group"; readonly path: readonly string[]; readonly before: readonly string[] }
  | { readonly kind: "root"; readonly before: readonly string[] };

const findFlag = (flags: readonly FlagSpec[], token: string): FlagSpec | undefined => {
  if (token.startsWith("--")) {
    const name = token.slice(2).split("=", 1)[0];
    return flags.find((f) => f.name === name);
  }
  const short = token.slice(1, 2);
  return flags.find((f) => f.short === short);
};

/** True when `token` is a flag that takes its value from the next argument. */
const takesNextValue = (flags: readonly FlagSpec[], token: string): boolean => {
  const flag = findFlag(flags, token);
  if (!flag || flag.type === "boolean") return false;
  return token.startsWith("--") ? !token.includes("=") : token.length === 2;
};

const isFlag = (token: string): boolean => token.startsWith("-") && token !== "-";

/**
 * Finds the command named by the positional words of `argv` (skipping global flags and their values).
 * Returns the flags before the command words and the arguments after them.
 */
export const locate = (
  argv: readonly string[],
  commands: readonly CommandSpec[],
  groups: readonly GroupSpec[],
): Located => {
  const words: string[] = [];
  const before: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      throw new UsageError('"--" may only follow a command, e.g. "stowage run script.ts -- --flag"', words);
    }
    if (isFlag(token)) {
      if (!findFlag(GLOBAL_FLAGS, token)) {
        throw new UsageError(
          `unknown flag "${token.split("=", 1)[0]}"${words.length ? ` for "${words.join(" ")}"` : ""}: flags of a command go after the command, e.g. "stowage backup create NAME --ttl 24h"`,
          words,
        );
      }
      before.push(token);
      if (takesNextValue(GLOBAL_FLAGS, token) && i + 1 < argv.length) before.push(argv[++i] as string);
      continue;
    }
    const path = [...words, token];
    const command = commands.find((c) => c.path.join(" ") === path.join(" "));
    if (command) return { kind: "command", command, before, after: argv.slice(i + 1) };
    const isGroup =
      path.length === 1
        ? groups.some((g) => g.name === token)
        : commands.some((c) => c.path.slice(0, path.length).join(" ") === path.join(" "));
    if (!isGroup) {
      throw new UsageError(`unknown command "${path.join(" ")}"`, words);
    }
    words.push(token);
  }
  return words.length === 0 ? { kind: "root", before } : { kind: "group", path: words, before };
};

/** The merged flag set of a command: its own flags replace global flags of the same name or letter. */
export const commandFlags = (command: CommandSpec): FlagSpec[] => [
  ...GLOBAL_FLAGS.filter(
    (g) => !command.flags.some((f) => f.name === g.name || (g.short !== undefined && f.short === g.short)),
  ),
  ...command.flags,
];

/** What the parser found on a command line. */
export interface ParsedCommandLine {
  /** `-h/--help` was given: show help and run nothing. */
  readonly help: boolean;
  /** The command's flags, with the global flags it does not redefine. */
  readonly flags: Flags;
  /** The global flags only (those given before the command, and after it unless redefined). */
  readonly globals: Flags;
  readonly args: readonly string[];
}

/** The option named in one of parseArgs' error messages. */
const optionInMessage = (message: string): string => /'(-[^' ]+)/.exec(message)?.[1] ?? "";

const parseError = (error: unknown, path: readonly string[]): UsageError => {
  const { code, message } = error as { code?: string; message: string };
  const option = optionInMessage(message);
  const where = path.length ? ` for "stowage ${path.join(" ")}"` : "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
    return new UsageError(`unknown flag "${option}"${where}`, path);
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return new UsageError(
      `flag "${option}" needs a value (give it as ${option.startsWith("--") ? `${option}=VALUE` : `${option} VALUE`})`,
      path,
    );
  }
  return new UsageError(message, path);
};

/** Parses flags of `specs` out of `tokens`; returns their values and the positionals. */
const parseFlags = (
  tokens: readonly string[],
  specs: readonly FlagSpec[],
  path: readonly string[],
): { values: Map<string, FlagValue>; positionals: string[] } => {
  // pflag's `--flag=false`: parseArgs booleans take no value, so explicit values are taken out first.
  const explicitBooleans = new Map<string, boolean>();
  const args: string[] = [];
  for (const token of tokens) {
    const match = /^--([^=]+)=(.*)$/.exec(token);
    const spec = match ? specs.find((s) => s.name === match[1] && s.type === "boolean") : undefined;
    if (match && spec) {
      const text = match[2] as string;
      const value = parseGoBool(text);
      if (value === undefined) {
        throw new UsageError(`invalid value "${text}" for --${spec.name}: expected true or false`, path);
      }
      explicitBooleans.set(spec.name, value);
      continue;
    }
    args.push(token);
  }
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const spec of specs) {
    options[spec.name] = {
      type: spec.type === "boolean" ? "boolean" : "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === "list" ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw parseError(error, path);
  }
  const values = new Map<string, FlagValue>();
  for (const spec of specs) {
    const raw = parsed.values[spec.name];
    if (raw === undefined) continue;
    if (spec.type === "list") {
      const parts = (Array.isArray(raw) ? raw : [raw]).map(String);
      values.set(spec.name, parts.flatMap(splitList));
    } else {
      values.set(spec.name, raw as string | boolean);
    }
  }
  for (const [name, value] of explicitBooleans) values.set(name, value);
  return { values, positionals: parsed.positionals };
};

/** Splits a pass-through command's arguments at its first positional (or `--`). */
const splitPassThrough = (after: readonly string[], specs: readonly FlagSpec[]): [string[], string[]] => {
  for (let i = 0; i < after.length; i++) {
    const token = after[i] as string;
    if (token === "--") return [after.slice(0, i), after.slice(i + 1)];
    if (!isFlag(token)) return [after.slice(0, i), after.slice(i)];
    if (takesNextValue(specs, token)) i++;
  }
  return [[...after], []];
};

/** Parses the global flags given before any command (`stowage --store x help`). */
export const parseGlobals = (before: readonly string[]): Flags => {
  const { values, positionals } = parseFlags(before, GLOBAL_FLAGS, []);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, []);
  return new Flags(values, []);
};

/**
 * Parses a command line: `before` (global flags given before the command words) and `after` (the
 * command's flags and arguments). Throws UsageError for unknown flags, missing values and wrong
 * argument counts.
 */
export const parseCommandLine = (
  command: CommandSpec,
  before: readonly string[],
  after: readonly string[],
): ParsedCommandLine => {
  const specs = commandFlags(command);
  const path = command.path;
  const [head, tail] = command.passThrough ? splitPassThrough(after, specs) : [[...after], []];
  if ([...before, ...head].some((t) => t === "-h" || t === "--help")) {
    const empty = new Flags(new Map(), path);
    return { help: true, flags: empty, globals: empty, args: [] };
  }
  const early = parseFlags(before, GLOBAL_FLAGS, path).values;
  const { values, positionals: parsedPositionals } = parseFlags(head, specs, path);
  const own = new Set(command.flags.map((f) => f.name));
  const globals = new Map(early);
  const merged = new Map(early);
  for (const [name, value] of values) {
    merged.set(name, value);
    if (!own.has(name)) globals.set(name, value);
  }
  for (const name of own) if (!values.has(name)) merged.delete(name);

  const positionals = [...parsedPositionals, ...tail];
  const { min, max, usage } = command.args;
  if (positionals.length < min) {
    throw new UsageError(
      `"stowage ${path.join(" ")}" needs ${usage}${positionals.length ? `, got only ${positionals.length} argument(s)` : ""}`,
      path,
    );
  }
  if (positionals.length > max) {
    const extra = positionals.slice(max).join(" ");
    throw new UsageError(
      max === 0
        ? `"stowage ${path.join(" ")}" takes no arguments, got "${extra}"`
        : `"stowage ${path.join(" ")}" takes ${usage}; unexpected extra argument(s) "${extra}"`,
      path,
    );
  }
  return {
    help: false,
    flags: new Flags(merged, path),
    globals: new Flags(globals, path),
    args: positionals,
  };
};

/** `--help` texts: the command list, a group's verbs, and one command's usage and flags. */
import type { CommandSpec, GroupSpec } from "./command.ts";
import { GLOBAL_FLAGS } from "./flags.ts";
import { commandFlags } from "./parse.ts";
import type { FlagSpec } from "./types.ts";

const columns = (rows: readonly (readonly [string, string])[], indent = "  "): string => {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width + 3)}${right}`.trimEnd()).join("\n");
};

const flagLeft = (flag: FlagSpec): string => {
  const names = `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}`;
  if (flag.type === "boolean") return names;
  return `${names} ${flag.placeholder ?? (flag.type === "list" ? "LIST" : "VALUE")}`;
};

const flagRows = (flags: readonly FlagSpec[]): [string, string][] =>
  flags.map((f) => [flagLeft(f), f.description]);

const EXIT_CODES = "Exit codes: 0 ok, 1 the operation failed, 2 usage error.";

/** `stowage help`: every command, grouped. */
export const rootHelp = (commands: readonly CommandSpec[], groups: readonly GroupSpec[]): string => {
  const top = commands.filter((c) => c.path.length === 1);
  const rows: [string, string][] = [
    ...groups.map((g): [string, string] => [g.name, g.summary]),
    ...top.map((c): [string, string] => [c.path[0] as string, c.summary]),
  ];
  const verbs: [string, string][] = commands
    .filter((c) => c.path.length > 1)
    .map((c) => [c.path.join(" "), c.summary]);
  return `stowage — Kubernetes backup and restore as TypeScript code, in Velero's format

Usage:
  stowage <command> [flags]

Commands:
${columns(rows)}

All commands:
${columns(verbs)}

Global flags:
${columns(flagRows(GLOBAL_FLAGS))}

Settings are taken from the flag, else a STOWAGE_* variable (STOWAGE_KUBECONFIG, STOWAGE_CONTEXT,
STOWAGE_STORE, STOWAGE_S3_ENDPOINT, STOWAGE_REGION), else the config file, else the default.
S3 credentials come from the AWS chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE, SSO, instance roles).
Set STOWAGE_DEBUG=1 to see stack traces.

${EXIT_CODES}
Run "stowage <command> --help" for a command's flags.
`;
};

/** `stowage backup`: the verbs of a group. */
export const groupHelp = (
  path: readonly string[],
  commands: readonly CommandSpec[],
  groups: readonly GroupSpec[],
): string => {
  const prefix = path.join(" ");
  const verbs = commands
    .filter((c) => c.path.slice(0, path.length).join(" ") === prefix)
    .map((c): [string, string] => [c.path.slice(path.length).join(" "), c.summary]);
  const summary = groups.find((g) => g.name === path[0])?.summary ?? "";
  return `${summary}

Usage:
  stowage ${prefix} <command> [flags]

Commands:
${columns(verbs)}

Run "stowage ${prefix} <command> --help" for a command's flags.
`;
};

/** `stowage backup create --help`. */
export const commandHelp = (command: CommandSpec): string => {
  const own = command.flags;
  const globals = commandFlags(command).filter((f) => !own.includes(f));
  const usage = `stowage ${command.path.join(" ")}${command.args.usage ? ` ${command.args.usage}` : ""} [flags]`;
  const parts = [`${command.summary}`, ""];
  if (command.description) parts.push(command.description.trim(), "");
  parts.push("Usage:", `  ${usage}`, "");
  if (command.examples?.length) parts.push("Examples:", ...command.examples.map((e) => `  ${e}`), "");
  if (own.length) parts.push("Flags:", columns(flagRows(own)), "");
  parts.push("Global flags:", columns(flagRows(globals)), "");
  const outputs = command.outputs ?? ["table"];
  if (outputs.length > 1) parts.push(`Output formats (-o): ${outputs.join(", ")}.`);
  parts.push(EXIT_CODES, "");
  return parts.join("\n");
};

/**
 * Help for `stowage help WORDS…`: the root (no words), a group, or a command of `commands`; undefined
 * when the words name neither.
 */
export const helpText = (
  words: readonly string[],
  commands: readonly CommandSpec[],
  groups: readonly GroupSpec[],
): string | undefined => {
  if (words.length === 0) return rootHelp(commands, groups);
  const command = commands.find((c) => c.path.join(" ") === words.join(" "));
  if (command) return commandHelp(command);
  const isGroup = commands.some(
    (c) => c.path.length > words.length && c.path.slice(0, words.length).join(" ") === words.join(" "),
  );
  return isGroup ? groupHelp(words, commands, groups) : undefined;
};

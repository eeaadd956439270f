/**
 * What `backup delete` and `restore delete` share, as velero's delete verbs do: which objects
 * (`NAME...`, `--all` or `-l SELECTOR`, exactly one), and confirmation (asked on a terminal unless
 * `--confirm`; without a terminal, `--confirm` is required).
 */
import { UsageError } from "./errors.ts";
import type { Flags } from "./flags.ts";
import { confirm } from "./prompt.ts";
import { labelFilter } from "./selectors.ts";
import type { FlagSpec, Io } from "./types.ts";

type Noun = "backup" | "restore";

/** `--confirm`, `--all`, `-l`. */
export const deletionFlags = (noun: Noun): FlagSpec[] => [
  { name: "confirm", type: "boolean", description: "delete without asking" },
  { name: "all", type: "boolean", description: `delete every ${noun} in the store` },
  {
    name: "selector",
    short: "l",
    type: "string",
    placeholder: "SELECTOR",
    description: `delete the ${noun}s whose labels match`,
  },
];

/** The request checked before anything is opened; {@link chooseForDeletion} then resolves it. */
export interface DeletionRequest {
  readonly noun: Noun;
  readonly names: readonly string[];
  readonly matches: (labels: Readonly<Record<string, string>> | undefined) => boolean;
  readonly confirmed: boolean;
}

/** Checks `NAME... | --all | -l` and that the deletion can be confirmed; throws a UsageError otherwise. */
export const deletionRequest = (
  noun: Noun,
  args: readonly string[],
  flags: Flags,
  io: Io,
  command: readonly string[],
): DeletionRequest => {
  const selector = flags.string("selector");
  const ways = [args.length > 0, flags.bool("all") === true, selector !== undefined].filter(Boolean).length;
  if (ways !== 1) {
    throw new UsageError(
      `name the ${noun}s to delete, or pass --all, or -l SELECTOR (exactly one of them)`,
      command,
    );
  }
  const matches = labelFilter(selector, command);
  const confirmed = flags.bool("confirm") === true;
  if (!confirmed && !io.stdin.isTTY) {
    throw new UsageError(
      `deleting ${noun}s needs confirmation: pass --confirm (stdin is not a terminal to ask on)`,
      command,
    );
  }
  return { noun, names: [...new Set(args)], matches, confirmed };
};

/**
 * The names to delete: those given, or those `list` returns whose labels match; asks on the terminal
 * unless confirmed. Undefined when there is nothing to do (the reason is on stderr).
 */
export const chooseForDeletion = async (
  request: DeletionRequest,
  io: Io,
  location: string,
  list: () => Promise<Array<{ readonly name: string; readonly labels?: Record<string, string> | undefined }>>,
): Promise<string[] | undefined> => {
  const { noun } = request;
  const names =
    request.names.length > 0
      ? [...request.names]
      : (await list()).filter((o) => request.matches(o.labels)).map((o) => o.name);
  if (names.length === 0) {
    io.stderr.write(`No ${noun}s to delete in ${location}.\n`);
    return undefined;
  }
  if (!request.confirmed) {
    const what =
      names.length === 1 ? `${noun} "${names[0]}"` : `${names.length} ${noun}s (${names.join(", ")})`;
    if (!(await confirm(io, `Delete ${what} from ${location}? Are you sure you want to continue`))) {
      io.stderr.write("Nothing deleted.\n");
      return undefined;
    }
  }
  return names;
};

/** The message for a named object that is not in the store. */
export const missingMessage = (noun: Noun, name: string, location: string): string =>
  `stowage: ${noun} "${name}" does not exist in ${location}: run "stowage ${noun} get" to see what exists\n`;

/**
 * The verbs backups and restores share: `get`, `describe` and `delete`. Each is built from a
 * {@link StoredKind} (how to list and read the objects) and what the verb prints for that kind, so
 * `backup get` and `restore get` run the same code: names or `-l`, one failure per name on stderr
 * and the others still printed, tables or velero objects.
 */
import type { ObjectStore } from "../../store/index.ts";
import type { CommandContext, CommandSpec } from "../command.ts";
import { chooseForDeletion, deletionFlags, deletionRequest, missingMessage } from "../deletion.ts";
import { EXIT, forEachName } from "../errors.ts";
import { printListing, write } from "../output.ts";
import { labelFilter } from "../selectors.ts";
import type { FlagSpec } from "../types.ts";
import { STORAGE_LOCATION_FLAG, selectorFlag } from "./shared.ts";

/** What the verbs read of an object: its name and labels. */
export interface Named {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>> };
}

/** A kind of object the store keeps (backups, restores), as the shared verbs see it. */
export interface StoredKind<T extends Named> {
  /** The command group and the word of messages: `backup`, `restore`. */
  readonly noun: "backup" | "restore";
  /** Every object of the kind in `store`. */
  list(store: ObjectStore): Promise<T[]>;
  /** The object `name`; throws a StoreError naming the store when it does not exist. */
  get(store: ObjectStore, name: string): Promise<T>;
}

/** Help texts of a verb (what `--help` and the command list show). */
interface VerbTexts {
  readonly summary: string;
  readonly description: string;
  readonly examples: readonly string[];
}

/** What `<noun> get` prints of a kind. */
export interface GetVerb<T> extends VerbTexts {
  /** The `-l` flag's description. */
  readonly selector: string;
  /** The list object of `-o json|yaml` (`BackupList`). */
  readonly listKind: string;
  readonly headers: readonly string[];
  /** One table row. */
  row(item: T): string[];
  /** The order of the output. @default the order `list` returns */
  sort?(items: readonly T[]): T[];
}

/** `<noun> get [NAME...]`: every object (or those named), filtered by `-l`, as a table or velero objects. */
export const getVerb = <T extends Named>(kind: StoredKind<T>, verb: GetVerb<T>): CommandSpec => ({
  path: [kind.noun, "get"],
  summary: verb.summary,
  description: verb.description,
  args: { usage: "[NAME...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [selectorFlag(verb.selector), STORAGE_LOCATION_FLAG],
  outputs: ["table", "json", "yaml"],
  examples: verb.examples,
  async run({ args, flags, settings, io, output, command }) {
    const matches = labelFilter(flags.string("selector"), command.path);
    const { store } = await settings.openStore(flags.string("storage-location"));
    let found: T[] = [];
    let code: number = EXIT.ok;
    if (args.length === 0) found = await kind.list(store);
    else
      code = await forEachName(new Set(args), io.stderr, async (name) =>
        found.push(await kind.get(store, name)),
      );
    const shown = found.filter((item) => matches(item.metadata?.labels));
    const items = verb.sort ? verb.sort(shown) : shown;
    const single = args.length === 1 && !flags.has("selector");
    // nothing found because the names asked for failed: their errors are all there is to say
    if (items.length === 0 && code !== EXIT.ok && (output === "table" || single)) return code;
    await printListing(io, output, items, single, {
      list: { apiVersion: "velero.io/v1", kind: verb.listKind },
      headers: verb.headers,
      row: (item) => verb.row(item),
      empty: `No ${kind.noun}s found in ${store.location}.`,
    });
    return code;
  },
});

/** What `<noun> describe` prints of a kind. */
export interface DescribeVerb extends VerbTexts {
  /** Flags of the verb besides `--storage-location`. @default [] */
  readonly flags?: readonly FlagSpec[];
  /** The describe text of each name, given the command's context and the store it reads. */
  describer(context: CommandContext, store: ObjectStore): (name: string) => Promise<string>;
}

/**
 * `<noun> describe NAME...`: each description, a blank line between them. With one name its failure
 * is the command's error; with several, each failure is reported and the others still printed.
 */
export const describeVerb = <T extends Named>(kind: StoredKind<T>, verb: DescribeVerb): CommandSpec => ({
  path: [kind.noun, "describe"],
  summary: verb.summary,
  description: verb.description,
  args: { usage: "NAME...", min: 1, max: Number.POSITIVE_INFINITY },
  flags: [...(verb.flags ?? []), STORAGE_LOCATION_FLAG],
  examples: verb.examples,
  async run(context) {
    const { args, flags, settings, io } = context;
    const { store } = await settings.openStore(flags.string("storage-location"));
    const describe = verb.describer(context, store);
    let first = true;
    const print = async (name: string) => {
      await write(io.stdout, `${first ? "" : "\n"}${await describe(name)}`);
      first = false;
    };
    if (args.length === 1) {
      await print(args[0] as string);
      return EXIT.ok;
    }
    return forEachName(args, io.stderr, print);
  },
});

/** How `<noun> delete` deletes one object; see {@link DeleteVerb.deleter}. */
export interface Deleter {
  /** Deletes `name` from `store`: resolves to the line to print, or undefined when it does not exist. */
  remove(store: ObjectStore, name: string): Promise<string | undefined>;
  /** Releases what `remove` opened (a cluster connection). */
  close?(): void;
}

/** What `<noun> delete` does for a kind. */
export interface DeleteVerb extends VerbTexts {
  /** Flags of the verb besides `--confirm`, `--all`, `-l` and `--storage-location`. @default [] */
  readonly flags?: readonly FlagSpec[];
  /** Reads what the deletions need from the context, before the store is opened. */
  deleter(context: CommandContext): Promise<Deleter>;
}

/**
 * `<noun> delete NAME... | --all | -l SELECTOR`: asks on a terminal unless `--confirm`, then deletes
 * each; a name that does not exist or fails is reported and the others are still deleted.
 */
export const deleteVerb = <T extends Named>(kind: StoredKind<T>, verb: DeleteVerb): CommandSpec => ({
  path: [kind.noun, "delete"],
  summary: verb.summary,
  description: verb.description,
  args: { usage: "NAME...", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [...deletionFlags(kind.noun), STORAGE_LOCATION_FLAG, ...(verb.flags ?? [])],
  examples: verb.examples,
  async run(context) {
    const { args, flags, settings, io, command } = context;
    const request = deletionRequest(kind.noun, args, flags, io, command.path);
    const deleter = await verb.deleter(context);
    const { store } = await settings.openStore(flags.string("storage-location"));
    const names = await chooseForDeletion(request, io, store.location, async () =>
      (await kind.list(store)).map((item) => ({
        name: item.metadata?.name ?? "",
        labels: item.metadata?.labels,
      })),
    );
    if (names === undefined) return EXIT.ok;
    try {
      return await forEachName(names, io.stderr, async (name) => {
        const done = await deleter.remove(store, name);
        if (done === undefined) io.stderr.write(missingMessage(kind.noun, name, store.location));
        else await write(io.stdout, done);
        return done !== undefined;
      });
    } finally {
      deleter.close?.();
    }
  },
});

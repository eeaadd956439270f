/**
 * `backup logs` and `restore logs`: one command shape that streams a log from the catalog to stdout,
 * with the same handling of a missing log for both.
 */
import { once } from "node:events";
import type { Readable } from "node:stream";
import { type Catalog, openCatalog } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** What differs between the two logs commands. */
export interface LogsCommandOptions {
  /** What the log belongs to: the command group and the word in messages. */
  readonly kind: "backup" | "restore";
  /** The `--help` example. */
  readonly example: string;
  /** Opens the gunzipped log of `name`; rejects with `ERR_NOT_FOUND` when there is none. */
  open(catalog: Catalog, name: string): Promise<Readable>;
  /** Throws the subject's own "does not exist" error unless `name` exists. */
  requireSubject(catalog: Catalog, name: string): Promise<unknown>;
  /**
   * Check the subject before opening its log (a backup's log is only shown once the backup is complete).
   * @default false (a log is shown whenever it exists, e.g. that of a restore Velero wrote)
   */
  readonly requireFirst?: boolean;
}

/**
 * `stowage <kind> logs NAME`: the log, gunzipped as it is read and streamed to stdout (never buffered
 * whole). A missing log runs `requireSubject` first, so a subject that does not exist gets its own
 * error; one that exists without a log gets `<kind> "<name>" has no log in <location>`.
 */
export const logsCommand = (options: LogsCommandOptions): CommandSpec => ({
  path: [options.kind, "logs"],
  summary: `Print a ${options.kind}'s log`,
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [STORAGE_LOCATION_FLAG],
  examples: [options.example],
  async run({ args, flags, settings, io }) {
    const name = args[0] as string;
    const { store } = await settings.openStore(flags.string("storage-location"));
    const catalog = openCatalog(store);
    if (options.requireFirst) await options.requireSubject(catalog, name);
    let log: Readable;
    try {
      log = await options.open(catalog, name);
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ERR_NOT_FOUND") throw error;
      await options.requireSubject(catalog, name);
      throw new CliError(`${options.kind} "${name}" has no log in ${store.location}`, { cause: error });
    }
    for await (const chunk of log) {
      if (!io.stdout.write(chunk as Buffer)) await once(io.stdout, "drain");
    }
    return EXIT.ok;
  },
});

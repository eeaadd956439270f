/** What `backup logs` and `restore logs` share: a log streamed from the catalog to stdout. */
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { CliError } from "../errors.ts";

/**
 * Streams the log `open` returns to `stdout` as it is gunzipped (never buffered whole). When there is
 * no log (`ERR_NOT_FOUND`), `requireSubject` runs first, so a backup or restore that does not exist
 * gets its own "does not exist" error; one that exists without a log gets
 * `<kind> "<name>" has no log in <location>`.
 */
export const printLog = async (options: {
  readonly kind: "backup" | "restore";
  readonly name: string;
  readonly location: string;
  readonly stdout: Writable;
  readonly open: () => Promise<Readable>;
  readonly requireSubject: () => Promise<unknown>;
}): Promise<void> => {
  let log: Readable;
  try {
    log = await options.open();
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_NOT_FOUND") throw error;
    await options.requireSubject();
    throw new CliError(`${options.kind} "${options.name}" has no log in ${options.location}`, {
      cause: error,
    });
  }
  for await (const chunk of log) {
    if (!options.stdout.write(chunk as Buffer)) await once(options.stdout, "drain");
  }
};

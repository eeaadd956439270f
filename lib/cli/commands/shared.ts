/**
 * Pieces many verbs share: the `--storage-location`, `-l` and list flags, the not-found check of a
 * backup, and Ctrl-C handling.
 */
import { StoreError } from "../../errors.ts";
import type { Catalog } from "../../store/index.ts";
import type { FlagSpec } from "../types.ts";

/** `--storage-location NAME` on the verbs that read a store. */
export const STORAGE_LOCATION_FLAG: FlagSpec = {
  name: "storage-location",
  type: "string",
  placeholder: "NAME",
  description: "read from this named backup location of the config file (instead of --store)",
};

/**
 * Throws the catalog's "does not exist" StoreError unless backup `name` is complete in the store
 * (reading `velero-backup.json` gives the same message as every other verb).
 */
export const requireBackup = async (catalog: Catalog, name: string): Promise<void> => {
  if (await catalog.backupExists(name)) return;
  await catalog.getBackupMetadata(name); // throws ERR_NOT_FOUND naming the store
  throw new StoreError(`backup "${name}" does not exist in ${catalog.store.location}`, {
    code: "ERR_NOT_FOUND",
  });
};

/**
 * An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, for commands whose SDK call cleans up after
 * itself on abort; `dispose()` removes the handlers.
 */
export const interruptSignal = (): { signal: AbortSignal; dispose(): void } => {
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: abort.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
};

/** `-l/--selector SELECTOR`: only the objects whose labels match; `description` says which. */
export const selectorFlag = (description: string): FlagSpec => ({
  name: "selector",
  short: "l",
  type: "string",
  placeholder: "SELECTOR",
  description,
});

/** A list flag (comma-separated, repeatable) shown as `--name PLACEHOLDER`. */
export const listFlag = (name: string, description: string, placeholder = "LIST"): FlagSpec => ({
  name,
  type: "list",
  placeholder,
  description,
});

/** A string flag shown as `--name PLACEHOLDER`. */
export const stringFlag = (name: string, description: string, placeholder: string): FlagSpec => ({
  name,
  type: "string",
  placeholder,
  description,
});

/** A boolean flag: `--name`, `--name=true`, `--name=false`. */
export const booleanFlag = (name: string, description: string): FlagSpec => ({
  name,
  type: "boolean",
  description,
});

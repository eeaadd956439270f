/** `stowage restore logs NAME`: the restore's log (`restore-<name>-logs.gz`), gunzipped, to stdout. */
import { gunzipSync } from "node:zlib";
import { getRestore } from "../../restore/catalog.ts";
import { getBuffer, restoreKeys } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { write } from "../output.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage restore logs`. */
export const restoreLogs: CommandSpec = {
  path: ["restore", "logs"],
  summary: "Print a restore's log",
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [STORAGE_LOCATION_FLAG],
  examples: ["stowage restore logs shop-copy | grep level=error"],
  async run({ args, flags, settings, io }) {
    const name = args[0] as string;
    const { store } = await settings.openStore(flags.string("storage-location"));
    const keys = restoreKeys(name);
    if (!(await store.exists(keys.logs))) {
      await getRestore(store, name); // throws ERR_NOT_FOUND naming the store
      throw new CliError(`restore "${name}" has no log in ${store.location}`);
    }
    await write(io.stdout, gunzipSync(await getBuffer(store, keys.logs)).toString("utf8"));
    return EXIT.ok;
  },
};

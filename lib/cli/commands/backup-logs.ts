/** `stowage backup logs NAME`: the backup's log (`<name>-logs.gz`), gunzipped, streamed to stdout. */
import { once } from "node:events";
import { openCatalog } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT } from "../errors.ts";
import { requireBackup, STORAGE_LOCATION_FLAG } from "./shared.ts";

/** `stowage backup logs`. */
export const backupLogs: CommandSpec = {
  path: ["backup", "logs"],
  summary: "Print a backup's log",
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [STORAGE_LOCATION_FLAG],
  examples: ["stowage backup logs shop-nightly | grep level=error"],
  async run({ args, flags, settings, io }) {
    const name = args[0] as string;
    const { store } = await settings.openStore(flags.string("storage-location"));
    const catalog = openCatalog(store);
    await requireBackup(catalog, name);
    const log = await catalog.getBackupLogs(name);
    for await (const chunk of log) {
      if (!io.stdout.write(chunk as Buffer)) await once(io.stdout, "drain");
    }
    return EXIT.ok;
  },
};

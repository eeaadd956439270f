/** `stowage backup logs NAME`: the backup's log (`<name>-logs.gz`), gunzipped, streamed to stdout. */
import { openCatalog } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT } from "../errors.ts";
import { printLog } from "./log-output.ts";
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
    // only a complete backup has a log to show (as Velero asks for the Backup first)
    await requireBackup(catalog, name);
    await printLog({
      kind: "backup",
      name,
      location: store.location,
      stdout: io.stdout,
      open: () => catalog.getBackupLogs(name),
      requireSubject: () => requireBackup(catalog, name),
    });
    return EXIT.ok;
  },
};

/** `stowage restore logs NAME`: the restore's log (`restore-<name>-logs.gz`), gunzipped, streamed to stdout. */
import { openCatalog } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT } from "../errors.ts";
import { printLog } from "./log-output.ts";
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
    const catalog = openCatalog(store);
    // no record needed: the log of a restore Velero wrote (it keeps no record) is shown too
    await printLog({
      kind: "restore",
      name,
      location: store.location,
      stdout: io.stdout,
      open: () => catalog.getRestoreLogs(name),
      requireSubject: () => catalog.getRestoreRecord(name),
    });
    return EXIT.ok;
  },
};

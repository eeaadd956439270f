/** `stowage restore get [NAME...]`: the restores recorded in the store, or their records with -o. */
import { getRestore, listRestores, type RestoreRecord } from "../../restore/catalog.ts";
import type { LabelSelector } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT, messageOf } from "../errors.ts";
import { encodeObjects, formatTable, write } from "../output.ts";
import { formatLabelSelectorOrNone, labelFilter } from "../selectors.ts";
import { formatTimestamp } from "../time-format.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

/** One table row (Ark's restore columns). */
export const restoreRow = (r: RestoreRecord): string[] => [
  r.metadata?.name ?? "",
  r.spec?.backupName ?? "",
  r.status?.phase || "New",
  String(r.status?.warnings ?? 0),
  String(r.status?.errors ?? 0),
  formatTimestamp(r.metadata?.creationTimestamp ?? r.status?.startTimestamp),
  formatLabelSelectorOrNone(r.spec?.labelSelector as LabelSelector | undefined),
];

const HEADERS = ["NAME", "BACKUP", "STATUS", "WARNINGS", "ERRORS", "CREATED", "SELECTOR"];

/** `stowage restore get`. */
export const restoreGet: CommandSpec = {
  path: ["restore", "get"],
  summary: "List restores recorded in the store",
  description:
    "Lists the restores recorded in the store (restores/<name>/restore-<name>.json), newest first.\n" +
    "With -o json|yaml, one restore asked for by name prints its record; otherwise a RestoreList.",
  args: { usage: "[NAME...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [
    {
      name: "selector",
      short: "l",
      type: "string",
      placeholder: "SELECTOR",
      description: "only restores whose labels match, e.g. velero.io/backup-name=shop-nightly",
    },
    STORAGE_LOCATION_FLAG,
  ],
  outputs: ["table", "json", "yaml"],
  examples: ["stowage restore get", "stowage restore get shop-copy -o yaml"],
  async run({ args, flags, settings, io, output, command }) {
    const matches = labelFilter(flags.string("selector"), command.path);
    const { store } = await settings.openStore(flags.string("storage-location"));
    let code: number = EXIT.ok;
    let restores: RestoreRecord[];
    if (args.length === 0) {
      restores = await listRestores(store);
    } else {
      restores = [];
      for (const name of new Set(args)) {
        try {
          restores.push((await getRestore(store, name)).restore);
        } catch (error) {
          io.stderr.write(`stowage: ${messageOf(error)}\n`);
          code = EXIT.failed;
        }
      }
    }
    restores = restores.filter((r) => matches(r.metadata?.labels));
    if (output !== "table") {
      const single = args.length === 1 && !flags.has("selector");
      if (!(single && restores.length === 0)) {
        await write(
          io.stdout,
          encodeObjects(restores, { apiVersion: "velero.io/v1", kind: "RestoreList" }, single, output),
        );
      }
      return code;
    }
    if (restores.length === 0) {
      if (code === EXIT.ok) io.stderr.write(`No restores found in ${store.location}.\n`);
      return code;
    }
    await write(io.stdout, formatTable(HEADERS, restores.map(restoreRow)));
    return code;
  },
};

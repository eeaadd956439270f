/** `stowage backup download NAME [-o FILE] [--force]`: the backup's tarball, streamed to a file. */
import { createWriteStream } from "node:fs";
import { access, rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { openCatalog } from "../../store/index.ts";
import type { CommandSpec } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { write } from "../output.ts";
import { requireBackup, STORAGE_LOCATION_FLAG } from "./shared.ts";

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** `stowage backup download`. */
export const backupDownload: CommandSpec = {
  path: ["backup", "download"],
  summary: "Download a backup's tarball",
  description:
    "Writes <name>.tar.gz (Velero's archive, still gzipped) to a file. The file appears only when complete.",
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [
    {
      name: "output",
      short: "o",
      type: "string",
      placeholder: "FILE",
      description: "file to write (default <NAME>-data.tar.gz in the current directory)",
    },
    { name: "force", type: "boolean", description: "overwrite the file if it exists" },
    STORAGE_LOCATION_FLAG,
  ],
  examples: ["stowage backup download shop-nightly -o /tmp/shop.tar.gz"],
  async run({ args, flags, settings, io }) {
    const name = args[0] as string;
    const file = resolve(flags.string("output") || `${name}-data.tar.gz`);
    if (flags.bool("force") !== true && (await exists(file))) {
      throw new CliError(`file ${file} already exists: remove it first, or pass --force to overwrite it`);
    }
    const { store } = await settings.openStore(flags.string("storage-location"));
    const catalog = openCatalog(store);
    await requireBackup(catalog, name);
    const temp = `${file}.${process.pid}.download`;
    try {
      await pipeline(await catalog.getBackupContents(name), createWriteStream(temp, { flags: "wx" }));
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await write(io.stdout, `Backup ${name} has been successfully downloaded to ${file}\n`);
    return EXIT.ok;
  },
};

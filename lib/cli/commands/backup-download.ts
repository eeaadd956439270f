/** `stowage backup download NAME [-o FILE] [--force]`: the backup's tarball, streamed to a file. */
import { access, type FileHandle, open, rename, rm } from "node:fs/promises";
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

/** Mode of the downloaded tarball: it holds the backup's Secrets, so owner read/write only. */
const DOWNLOAD_MODE = 0o600;

/** Creates `path` (which must not exist) as {@link DOWNLOAD_MODE}, whatever the umask. */
const createPrivate = async (path: string): Promise<FileHandle> => {
  const handle = await open(path, "wx", DOWNLOAD_MODE);
  try {
    await handle.chmod(DOWNLOAD_MODE); // open's mode is masked by the umask
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
};

/** `stowage backup download`. */
export const backupDownload: CommandSpec = {
  path: ["backup", "download"],
  summary: "Download a backup's tarball",
  description:
    "Writes <name>.tar.gz (Velero's archive, still gzipped) to a file readable by its owner only (0600). The file appears only when complete.",
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
      const contents = await catalog.getBackupContents(name);
      const handle = await createPrivate(temp).catch((error: unknown) => {
        contents.destroy();
        throw error;
      });
      await pipeline(contents, handle.createWriteStream());
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await write(io.stdout, `Backup ${name} has been successfully downloaded to ${file}\n`);
    return EXIT.ok;
  },
};

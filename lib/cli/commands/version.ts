/** `stowage version`: the CLI's version and the Velero format it writes. */
import { readFile } from "node:fs/promises";
import type { CommandSpec } from "../command.ts";
import { EXIT } from "../errors.ts";
import { encode, write } from "../output.ts";

/** The package's version, from package.json. */
export const packageVersion = async (): Promise<string> => {
  const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
};

/** `stowage version`. */
export const version: CommandSpec = {
  path: ["version"],
  summary: "Print the version",
  args: { usage: "", min: 0, max: 0 },
  flags: [],
  outputs: ["table", "json", "yaml"],
  async run({ io, output }) {
    const info = {
      version: await packageVersion(),
      veleroCompatibility: "1.18",
      backupFormatVersion: "1.1.0",
    };
    await write(
      io.stdout,
      output === "table"
        ? `stowage ${info.version} (Velero ${info.veleroCompatibility} backups, format ${info.backupFormatVersion})\n`
        : encode(info, output),
    );
    return EXIT.ok;
  },
};

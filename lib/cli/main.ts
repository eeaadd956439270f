/** The `stowage` CLI entry: velero's verbs, kubectl's conventions. Returns the process exit code. */

const HELP = `stowage — Kubernetes backup and restore as TypeScript code, in Velero's format

Usage:
  stowage <command> [flags]

Commands:
  version              print the version
  help                 show this help

Scripts:
  npx tsx my-backup.ts run a Stowage script directly (see examples/)

Exit codes: 0 ok, 1 the operation failed, 2 usage error.
`;

/** Runs the CLI with `argv` (without node and the script path) and returns the exit code. */
export const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === "version" || command === "--version") {
    const { readFile } = await import("node:fs/promises");
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`stowage ${pkg.version}\n`);
    return 0;
  }
  process.stderr.write(
    `stowage: unknown command "${[command, ...rest].join(" ")}"; run \`stowage help\` for the commands\n`,
  );
  return 2;
};

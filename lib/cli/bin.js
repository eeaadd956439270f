#!/usr/bin/env node
// The `stowage` executable: registers tsx so the TypeScript sources run without a build step,
// then hands over to the CLI. Process-level failures are reported like any other error: one line,
// no stack trace unless STOWAGE_DEBUG=1.
import { register } from "tsx/esm/api";

const fatal = (error) => {
  const debug = process.env.STOWAGE_DEBUG === "1";
  process.stderr.write(`stowage: ${error instanceof Error ? error.message : String(error)}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
};
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);
// `stowage backup logs x | head`: a closed pipe ends the output, it is not an error
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  fatal(error);
});

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));

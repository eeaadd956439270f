#!/usr/bin/env node
// The `stowage` executable: registers tsx so the TypeScript sources run without a build step,
// then hands over to the CLI.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));

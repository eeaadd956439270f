// Starts a whole test environment and prints it as one JSON line, then waits until killed.
// Used by the teardown test, and handy by hand: `npx tsx test/support/run-env.ts`.
import { startEnv } from "./env.ts";

const running = await startEnv({ log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify(running.env)}\n`);
setInterval(() => {}, 1 << 30);

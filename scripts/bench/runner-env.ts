/**
 * The memory settings of the runner image, read from the Dockerfile's `ENV` instructions, so the bench's
 * "runner settings" rows measure exactly what the image ships (`NODE_OPTIONS`, glibc `MALLOC_*`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../test/support/binaries.ts";

/** Variables of the image that change how much memory a process takes. */
export const MEMORY_VARIABLE = /^(?:NODE_OPTIONS|MALLOC_[A-Z_]+)$/;

/** The memory variables set in `env` (a worker reports its own, so a run shows what it measured). */
export const memoryEnvIn = (env: NodeJS.ProcessEnv): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter(
      (e): e is [string, string] => MEMORY_VARIABLE.test(e[0]) && e[1] !== undefined,
    ),
  );

/**
 * `KEY=value` pairs of `ENV` lines (unquoted values, several per line, `\` continuations), keeping those
 * that {@link MEMORY_VARIABLE} names.
 */
export const memoryEnvOf = (dockerfile: string): Record<string, string> => {
  const env: Record<string, string> = {};
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  for (const line of lines) {
    const match = /^\s*ENV\s+(.*)$/i.exec(line);
    if (!match?.[1]) continue;
    for (const pair of match[1].trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const key = pair.slice(0, eq);
      if (MEMORY_VARIABLE.test(key)) env[key] = pair.slice(eq + 1);
    }
  }
  return env;
};

/** The runner image's memory settings; throws if the Dockerfile sets none (the rows would be mislabelled). */
export const runnerMemoryEnv = (dockerfilePath = join(repoRoot, "Dockerfile")): Record<string, string> => {
  const env = memoryEnvOf(readFileSync(dockerfilePath, "utf8"));
  if (Object.keys(env).length === 0)
    throw new Error(
      `${dockerfilePath} sets no NODE_OPTIONS or MALLOC_* variable: the bench's "runner settings" rows would measure Node's defaults`,
    );
  return env;
};

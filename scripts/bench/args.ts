/** Command-line flags of `npm run bench`. */
import { parseArgs } from "node:util";

/** Parsed flags. */
export interface BenchArgs {
  readonly objects: number;
  readonly namespaces: number;
  readonly rounds: number;
  readonly outDir: string | undefined;
  readonly cpuProfile: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--objects N] [--namespaces N] [--rounds N] [--out DIR] [--cpu-prof]

  --objects N     objects to seed (default 10000; 50000 / 100000 for the large tiers)
  --namespaces N  namespaces to spread them over (default 20)
  --rounds N      alternating rounds (default 3)
  --out DIR       where JSON and SVG go (default bench-results/)
  --cpu-prof      write a CPU profile of every worker into <out>/profiles`;

const positive = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
};

/** Parses `argv` (without node and the script). Throws with a message on bad flags. */
export const parseBenchArgs = (argv: readonly string[]): BenchArgs => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      objects: { type: "string" },
      namespaces: { type: "string" },
      rounds: { type: "string" },
      out: { type: "string" },
      "cpu-prof": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  return {
    objects: positive("objects", values.objects, 10_000),
    namespaces: positive("namespaces", values.namespaces, 20),
    rounds: positive("rounds", values.rounds, 3),
    outDir: values.out,
    cpuProfile: values["cpu-prof"] === true,
    help: values.help === true,
  };
};

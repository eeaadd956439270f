/** Command-line flags of `npm run bench`. */
import { parseArgs } from "node:util";

/** Parsed flags. */
export interface BenchArgs {
  readonly objects: number;
  readonly namespaces: number;
  readonly rounds: number;
  readonly outDir: string | undefined;
  readonly cpuProfile: boolean;
  /** Only the backup variants (no restore rounds): quick A/B runs of backup changes. */
  readonly backupOnly: boolean;
  /** Run the restic bench (Job path vs bare restic) instead of the backup/restore bench. */
  readonly restic: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--tier 10k|50k|100k] [--objects N] [--namespaces N] [--rounds N] [--out DIR] [--cpu-prof] [--backup-only]

  --tier T        a standard size: 10k (the default), or the large tiers 50k and 100k (one round each
                  unless --rounds says otherwise; 100k takes about an hour on 2 cores)
  --objects N     objects to seed, instead of a tier
  --namespaces N  namespaces to spread them over (default 20)
  --rounds N      alternating rounds (default 3; 1 for the 50k and 100k tiers)
  --out DIR       where JSON and SVG go (default bench-results/)
  --cpu-prof      write a CPU profile of every worker into <out>/profiles
  --backup-only   only the backup variants (raw LIST, backups, actions, MinIO): a quick A/B of a
                  backup change, e.g. --backup-only --rounds 8; the restore goal reads n/a
  --restic        instead: restic through a Job vs bare restic on the same pod volume (rounds default 3)`;

/** The standard sizes: objects seeded, and rounds by default. */
const TIERS: Readonly<Record<string, { objects: number; rounds: number }>> = {
  "10k": { objects: 10_000, rounds: 3 },
  "50k": { objects: 50_000, rounds: 1 },
  "100k": { objects: 100_000, rounds: 1 },
};

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
      tier: { type: "string" },
      objects: { type: "string" },
      namespaces: { type: "string" },
      rounds: { type: "string" },
      out: { type: "string" },
      "cpu-prof": { type: "boolean" },
      "backup-only": { type: "boolean" },
      restic: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const tier = TIERS[values.tier ?? "10k"];
  if (!tier) throw new Error(`--tier must be one of ${Object.keys(TIERS).join(", ")}, got "${values.tier}"`);
  if (values.tier !== undefined && values.objects !== undefined)
    throw new Error("--tier and --objects both set the population size: pass one of them");
  return {
    objects: positive("objects", values.objects, tier.objects),
    namespaces: positive("namespaces", values.namespaces, 20),
    rounds: positive("rounds", values.rounds, tier.rounds),
    outDir: values.out,
    cpuProfile: values["cpu-prof"] === true,
    backupOnly: values["backup-only"] === true,
    restic: values.restic === true,
    help: values.help === true,
  };
};

/** The bench result: ratios, goals, and the printed table. */
import { pairedRatio, type VariantSummary } from "./stats.ts";
import type { Sample } from "./types.ts";

/** The headline ratios (median of per-round paired duration ratios). */
export interface Ratios {
  /** backup (fsStore) / raw paginated LIST. */
  readonly backupVsRawList: number;
  /** backup (s3Store on MinIO) / raw paginated LIST. */
  readonly backupS3VsRawList: number;
  /** backup to MinIO / backup to a directory. */
  readonly s3VsFs: number;
  /** backup with 1 no-op action / without. */
  readonly oneActionVsNone: number;
  /** backup with 10 no-op actions / without. */
  readonly tenActionsVsNone: number;
  /** The same as client CPU time: steadier than wall time on a busy machine. */
  readonly tenActionsCpuVsNone: number;
  /** restore / raw concurrent create. */
  readonly restoreVsRawCreate: number;
  /** backup / raw LIST, both with the runner image's memory settings. */
  readonly runnerBackupVsRawList: number;
  /** restore / raw concurrent create, the restore with the runner image's memory settings. */
  readonly runnerRestoreVsRawCreate: number;
}

/** One goal of the issue and where it stands (never asserted). */
export interface Goal {
  readonly goal: string;
  readonly measured: string;
  /** `null` when this run cannot tell (e.g. the RSS goal is about 100k objects). */
  readonly met: boolean | null;
}

/** Computes the ratios from the samples. */
export const ratios = (samples: readonly Sample[]): Ratios => ({
  backupVsRawList: pairedRatio(samples, "backup-fs", "raw-list"),
  backupS3VsRawList: pairedRatio(samples, "backup-s3", "raw-list"),
  s3VsFs: pairedRatio(samples, "backup-s3", "backup-fs"),
  oneActionVsNone: pairedRatio(samples, "backup-fs-1-action", "backup-fs"),
  tenActionsVsNone: pairedRatio(samples, "backup-fs-10-actions", "backup-fs"),
  tenActionsCpuVsNone: pairedRatio(samples, "backup-fs-10-actions", "backup-fs", (s) => s.cpuMs),
  restoreVsRawCreate: pairedRatio(samples, "restore-fs", "raw-create"),
  runnerBackupVsRawList: pairedRatio(samples, "backup-fs-runner", "raw-list-runner"),
  runnerRestoreVsRawCreate: pairedRatio(samples, "restore-fs-runner", "raw-create"),
});

const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : "n/a");
const pct = (r: number) =>
  Number.isFinite(r) ? `${r >= 1 ? "+" : ""}${((r - 1) * 100).toFixed(1)}%` : "n/a";

/**
 * The least wall time the machine allows an operation: all the CPU it and the control plane used
 * (median client + apiserver + etcd CPU), spread perfectly over `cores`. Where it is close to the
 * measured time, the cores, not waiting, set the pace.
 */
export const cpuFloorMs = (s: VariantSummary, cores: number): number =>
  (s.medianCpuMs + s.medianApiserverCpuMs + s.medianEtcdCpuMs) / cores;

/**
 * Backup's CPU floor as a ratio to the raw LIST's measured time: the best `backup / raw LIST` this
 * machine allows for the work backup does now (NaN without CPU figures).
 */
export const backupFloorRatio = (summary: readonly VariantSummary[], cores: number): number => {
  const backup = summary.find((s) => s.variant === "backup-fs");
  const raw = summary.find((s) => s.variant === "raw-list");
  return backup && raw ? cpuFloorMs(backup, cores) / raw.medianMs : Number.NaN;
};

/** Where the issue's four goals stand for this run. */
export const goals = (
  objects: number,
  r: Ratios,
  summary: readonly VariantSummary[],
  cores = Number.NaN,
): Goal[] => {
  const rss = (v: string) => summary.find((s) => s.variant === v)?.peakRssMb ?? Number.NaN;
  const floor = backupFloorRatio(summary, cores);
  // the largest of those measured (a --backup-only run has no restore)
  const largest = (...values: number[]) => {
    const measured = values.filter(Number.isFinite);
    return measured.length > 0 ? Math.max(...measured) : Number.NaN;
  };
  const peak = largest(rss("backup-fs"), rss("backup-s3"), rss("restore-fs"));
  const runnerPeak = largest(rss("backup-fs-runner"), rss("restore-fs-runner"));
  const mb = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} MB` : "n/a");
  const check = (value: number, ok: (v: number) => boolean) => (Number.isFinite(value) ? ok(value) : null);
  return [
    {
      goal: "backup ≤ 1.25× raw LIST at 10k",
      measured: `${x(r.backupVsRawList)} at ${objects} objects${Number.isFinite(floor) ? ` (CPU floor on ${cores} cores: ${x(floor)})` : ""}`,
      met: objects >= 10_000 ? check(r.backupVsRawList, (v) => v <= 1.25) : null,
    },
    {
      goal: "restore ≤ 1.5× raw concurrent create",
      measured: x(r.restoreVsRawCreate),
      met: check(r.restoreVsRawCreate, (v) => v <= 1.5),
    },
    {
      // Node's defaults are how `npx tsx script.ts` runs; the runner image's settings are how Stowage runs
      // in the cluster. Both are shown; the goal is judged on the worse, Node's defaults.
      goal: "peak RSS < 250 MB at 100k",
      measured: `${mb(peak)} (runner image settings: ${mb(runnerPeak)}; raw LIST: ${mb(rss("raw-list"))} / ${mb(rss("raw-list-runner"))}) at ${objects} objects`,
      met: objects >= 100_000 ? check(peak, (v) => v < 250) : null,
    },
    {
      goal: "10 trivial actions add < 5% to a 10k backup",
      measured: `${pct(r.tenActionsVsNone)} time, ${pct(r.tenActionsCpuVsNone)} client CPU at ${objects} objects`,
      met: objects >= 10_000 ? check(r.tenActionsVsNone, (v) => v < 1.05) : null,
    },
  ];
};

const LABELS: Readonly<Record<string, string>> = {
  "raw-list": "raw LIST (baseline)",
  "backup-fs": "backup → directory",
  "backup-fs-1-action": "backup → directory, 1 action",
  "backup-fs-10-actions": "backup → directory, 10 actions",
  "backup-s3": "backup → MinIO",
  "raw-create": "raw create (baseline)",
  "restore-fs": "restore ← directory",
  "raw-list-runner": "raw LIST, runner image settings",
  "backup-fs-runner": "backup → directory, runner image settings",
  "restore-fs-runner": "restore ← directory, runner image settings",
};

const RATIO_OF: Readonly<Record<string, keyof Ratios>> = {
  "backup-fs": "backupVsRawList",
  "backup-fs-1-action": "oneActionVsNone",
  "backup-fs-10-actions": "tenActionsVsNone",
  "backup-s3": "backupS3VsRawList",
  "restore-fs": "restoreVsRawCreate",
  "backup-fs-runner": "runnerBackupVsRawList",
  "restore-fs-runner": "runnerRestoreVsRawCreate",
};
const RATIO_BASE: Readonly<Record<string, string>> = {
  "backup-fs": "raw LIST",
  "backup-fs-1-action": "backup",
  "backup-fs-10-actions": "backup",
  "backup-s3": "raw LIST",
  "restore-fs": "raw create",
  "backup-fs-runner": "raw LIST, runner",
  "restore-fs-runner": "raw create",
};

const CPU_NOTE = `CPU columns are medians during the measured section: the client (every thread of the worker,
gzip included) and the control plane it waits for. CPU floor = (client + apiserver + etcd CPU) / cores,
the least time this machine allows that work; where the median is close to it, the cores, not the code's
waiting, set the pace. Compare the ratios, which are measured in the same rounds. "Runner image settings"
rows run with the Dockerfile's NODE_OPTIONS and MALLOC_* variables; the others with Node's defaults.`;

const pad = (rows: readonly string[][]): string => {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
};

/** The table printed at the end of a run. */
export const formatTable = (
  summary: readonly VariantSummary[],
  r: Ratios,
  goalList: readonly Goal[],
  cores = Number.NaN,
): string => {
  const rows = [
    [
      "operation",
      "items",
      "median",
      "items/s",
      "ratio",
      "vs",
      "peak RSS",
      "client CPU",
      "apiserver CPU",
      "etcd CPU",
      "CPU floor",
    ],
  ];
  const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");
  for (const s of summary) {
    const key = RATIO_OF[s.variant];
    rows.push([
      LABELS[s.variant] ?? s.variant,
      String(Math.round(s.items)),
      `${(s.medianMs / 1000).toFixed(2)} s`,
      s.itemsPerSecond.toFixed(0),
      key ? x(r[key]) : "",
      RATIO_BASE[s.variant] ?? "",
      `${s.peakRssMb.toFixed(0)} MB`,
      seconds(s.medianCpuMs),
      seconds(s.medianApiserverCpuMs),
      seconds(s.medianEtcdCpuMs),
      seconds(cpuFloorMs(s, cores)),
    ]);
  }
  const goalRows = [["goal", "measured", "status"]];
  for (const g of goalList)
    goalRows.push([
      g.goal,
      g.measured,
      g.met === null ? "not measured at this size" : g.met ? "met" : "MISSED",
    ]);
  return `${pad(rows)}\n\n${pad(goalRows)}\n\n${CPU_NOTE}`;
};

/** Medians and paired ratios over the rounds. */
import type { Sample, Variant } from "./types.ts";

/** Median of a non-empty list (mean of the middle two for even lengths); NaN when empty. */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Medians of one variant over its rounds. */
export interface VariantSummary {
  readonly variant: Variant;
  readonly rounds: number;
  readonly items: number;
  readonly medianMs: number;
  readonly itemsPerSecond: number;
  /** Median CPU time of the worker (all its threads: gzip runs in the thread pool). */
  readonly medianCpuMs: number;
  /** Median CPU time of kube-apiserver during the operation; NaN when not measured. */
  readonly medianApiserverCpuMs: number;
  /** Median CPU time of etcd during the operation; NaN when not measured. */
  readonly medianEtcdCpuMs: number;
  readonly peakRssMb: number;
  readonly errors: number;
}

/** Summarises every variant present in `samples`. */
export const summarise = (samples: readonly Sample[]): VariantSummary[] => {
  const variants = [...new Set(samples.map((s) => s.variant))];
  return variants.map((variant) => {
    const own = samples.filter((s) => s.variant === variant);
    const medianMs = median(own.map((s) => s.durationMs));
    const items = median(own.map((s) => s.items));
    return {
      variant,
      rounds: own.length,
      items,
      medianMs,
      itemsPerSecond: items / (medianMs / 1000),
      medianCpuMs: median(own.map((s) => s.cpuMs)),
      medianApiserverCpuMs: median(own.flatMap((s) => (s.serverCpuMs ? [s.serverCpuMs.apiserver] : []))),
      medianEtcdCpuMs: median(own.flatMap((s) => (s.serverCpuMs ? [s.serverCpuMs.etcd] : []))),
      peakRssMb: Math.max(...own.map((s) => s.maxRssMb)),
      errors: own.reduce((n, s) => n + s.errors, 0),
    };
  });
};

/**
 * Median over rounds of `a / b` of a metric (the duration unless told otherwise) measured in the same
 * round, so drift between rounds cancels. NaN when a variant is missing.
 */
export const pairedRatio = (
  samples: readonly Sample[],
  a: Variant,
  b: Variant,
  metric: (sample: Sample) => number = (sample) => sample.durationMs,
): number => {
  const rounds = [...new Set(samples.map((s) => s.round))];
  const ratios: number[] = [];
  for (const round of rounds) {
    const sa = samples.find((s) => s.round === round && s.variant === a);
    const sb = samples.find((s) => s.round === round && s.variant === b);
    if (sa && sb) ratios.push(metric(sa) / metric(sb));
  }
  return median(ratios);
};

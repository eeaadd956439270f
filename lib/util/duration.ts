import { ValidationError } from "../errors.ts";

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration (`720h`, `72h0m0s`, `1h30m`, `90s`) into milliseconds.
 * @throws ValidationError naming `what` when the text is not a duration
 */
export const parseDuration = (text: string, what = "duration"): number => {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let index = 0;
  while (index < trimmed.length) {
    re.lastIndex = index;
    const match = re.exec(trimmed);
    if (!match) {
      throw new ValidationError([
        `${what} "${text}" is not a duration: expected Go's form like "720h", "72h0m0s" or "90m"`,
      ]);
    }
    total += Number(match[1]) * (UNITS[match[2]!] ?? 0);
    index = re.lastIndex;
  }
  if (index === 0) throw new ValidationError([`${what} is empty: expected a duration like "720h"`]);
  return total;
};

/** Formats milliseconds as Go's `time.Duration.String()` does for whole seconds: `720h0m0s`, `1m30s`. */
export const formatDuration = (ms: number): string => {
  if (ms === 0) return "0s";
  const totalSeconds = ms / 1000;
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = +(totalSeconds % 60).toFixed(3);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
};

/** RFC 3339 in UTC without fractional seconds, as Kubernetes writes timestamps. */
export const kubeTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** `yyyyMMddHHmmss` in UTC (Velero's schedule and restore name suffix). */
export const nameTimestamp = (date: Date): string => kubeTime(date).replace(/[-:TZ]/g, "");

/**
 * Times as velero prints them: Go's `time.Time.String()` in the local zone for timestamps, and
 * apimachinery's `ShortHumanDuration` for the EXPIRES column (`29d`, `3h`, `5m ago`).
 */

const pad = (n: number, width = 2): string => String(Math.trunc(Math.abs(n))).padStart(width, "0");

/** The local zone's abbreviation (`UTC`, `CET`, or `GMT+2` where the platform has no abbreviation). */
const zoneName = (date: Date): string => {
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(date)
    .find((p) => p.type === "timeZoneName")?.value;
  if (date.getTimezoneOffset() === 0 && (part === undefined || part === "GMT")) return "UTC";
  return part ?? "";
};

/**
 * `2026-11-22 14:03:07 +0100 CET`: Go's `time.Time.String()` of a Kubernetes timestamp in the local
 * zone. Undefined or unparsable input gives `<n/a>`.
 */
export const formatTimestamp = (value: string | undefined): string => {
  if (value === undefined || value === "") return "<n/a>";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const zone = `${sign}${pad(offset / 60)}${pad(offset % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone} ${zoneName(date)}`;
};

/** apimachinery's `duration.ShortHumanDuration`: `45s`, `12m`, `5h`, `29d`, `2y`. */
export const shortHumanDuration = (ms: number): string => {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
};

/** velero's `humanReadableTimeFromNow`: `29d` in the future, `3h ago` in the past, `n/a` when unset. */
export const timeFromNow = (value: string | undefined, now = Date.now()): string => {
  const when = value ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(when)) return "n/a";
  return when >= now ? shortHumanDuration(when - now) : `${shortHumanDuration(now - when)} ago`;
};

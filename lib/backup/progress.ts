import type { BackupProgress } from "./options.ts";

/** Default of {@link createProgressReporter}'s `intervalMs`: about 10 reports a second. */
export const PROGRESS_INTERVAL_MS = 100;

/** The counters a progress report is made of, read when one is sent. */
export type ProgressCounters = Omit<BackupProgress, "phase" | "volumeSnapshot">;

/** Sends one progress report; throttled unless `force` (phase changes, volume snapshot states). */
export type ReportProgress = (
  phase: BackupProgress["phase"],
  force?: boolean,
  volumeSnapshot?: BackupProgress["volumeSnapshot"],
) => void;

/**
 * A throttled progress reporter: calls `onProgress` with the current `counters()` at most once every
 * `intervalMs` (@default 100), except for forced reports, which always go out. Without `onProgress` it
 * does nothing (the counters are not even read).
 */
export const createProgressReporter = (
  onProgress: ((progress: BackupProgress) => void) | undefined,
  counters: () => ProgressCounters,
  intervalMs = PROGRESS_INTERVAL_MS,
): ReportProgress => {
  let last = 0;
  return (phase, force = false, volumeSnapshot) => {
    if (!onProgress) return;
    const t = Date.now();
    if (!force && t - last < intervalMs) return;
    last = t;
    onProgress({ phase, ...counters(), ...(volumeSnapshot ? { volumeSnapshot } : {}) });
  };
};

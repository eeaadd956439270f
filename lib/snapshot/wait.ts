import { type PollResult, poll } from "../util/poll.ts";
import { SnapshotError } from "./errors.ts";
import type { OperationOptions } from "./types.ts";

export type { PollResult } from "../util/poll.ts";

/** Default of {@link OperationOptions.timeoutMs}: Velero's default `csiSnapshotTimeout`, 10 minutes. */
export const DEFAULT_OPERATION_TIMEOUT_MS = 10 * 60_000;

/**
 * Polls `probe` until it reports done, every `intervalMs` (the first look is immediate), reporting each
 * pending state through `options.onProgress`. Throws a StowageError naming `subject` and its last state
 * when `options.timeoutMs` passes, an AbortError when `options.signal` fires, and whatever `probe` throws
 * (a provider says "failed" by throwing).
 */
export const pollUntilDone = async <T>(
  subject: string,
  probe: () => Promise<PollResult<T>>,
  options: OperationOptions & { readonly intervalMs: number },
): Promise<T> => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const outcome = await poll(subject, probe, {
    intervalMs: options.intervalMs,
    timeoutMs,
    signal: options.signal,
    onPending: (pending) => options.onProgress?.({ subject, ...pending }),
  });
  if (outcome.done) return outcome.value;
  throw new SnapshotError(
    `${subject} did not complete within ${formatWait(timeoutMs)} (last state: ${outcome.state}): raise the timeout (snapshotTimeoutMs), or look at the provider's console`,
  );
};

/** A wait for messages: `300 ms`, `45 s`, `10 min`. */
export const formatWait = (ms: number): string =>
  ms < 10_000 ? `${ms} ms` : ms < 600_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;

/** `"12%"` → 12; anything else → undefined. */
export const parsePercent = (text: string | undefined): number | undefined => {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text ?? "");
  return match ? Number(match[1]) : undefined;
};
